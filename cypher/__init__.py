"""The project's Cypher, installed as package data of ``graphlink.cypher``.

This folder is top-level in the checkout (the product layout) and installs as
``graphlink.cypher`` so that :mod:`graphlink.cypher_files` finds the same files
through :mod:`importlib.resources` in a checkout and in an installed wheel.
"""
