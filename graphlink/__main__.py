from graphlink.cli import main

main()
