"""The built wheel works on its own: installed into a fresh virtualenv outside
the checkout, it lists every saved query and ingests a snapshot into the test
Neo4j.

This is what a user who runs ``pip install graphlink`` gets, so it catches
what the editable install hides: Cypher or the Maven pom missing from the
wheel, a path derived from the checkout, a stray top-level ``api``/``ingest``
package.  To stay within the suite's time budget the fresh environment borrows
the third-party dependencies of the running interpreter through a ``.pth``
line (installing pandas, pyarrow, igraph... from PyPI takes minutes); the
graphlink package itself comes only from the wheel, which the test checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import REPO  # noqa: E402
from graphlink.store import GraphStore  # noqa: E402
from test_ingest import BASE, count, write_snapshot  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (whl,) = out.glob("graphlink-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv (outside the checkout) with the wheel installed."""
    env_dir = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    # Third-party dependencies only: the running venv's site-packages as a plain
    # path (its .pth files, among them graphlink's editable finder, are not run).
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "_graphlink_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
         "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return env_dir


def _run(venv: Path, cwd: Path, *args: str, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=180, check=False,
        env={**base, "COLUMNS": "200", **(env or {})},
    )


def test_wheel_ships_one_package_with_all_its_cypher(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"graphlink"}, "only graphlink/ may land in site-packages"
    shipped = {n.removeprefix("graphlink/cypher/") for n in names
               if n.startswith("graphlink/cypher/") and not n.endswith(".py")}
    in_checkout = {p.relative_to(REPO / "cypher").as_posix()
                   for p in (REPO / "cypher").rglob("*")
                   if p.is_file() and p.suffix in (".cypher", ".html")}
    assert shipped == in_checkout
    assert "graphlink/maven/pom.xml" in names
    assert {"graphlink/ingest/job.py", "graphlink/api/app.py"} <= set(names)


def test_installed_wheel_lists_queries_and_ingests(
    venv: Path, store: GraphStore, env_for_cli: dict[str, str], tmp_path: Path
) -> None:
    work = tmp_path / "elsewhere"  # neither the checkout nor anything under it
    work.mkdir()
    where = _run(venv, work, str(venv / "bin" / "python"), "-c",
                 "import graphlink, importlib.util as u; print(graphlink.__file__); "
                 "print(u.find_spec('api'), u.find_spec('ingest'))")
    assert where.returncode == 0, where.stderr
    pkg_file, stray = where.stdout.splitlines()
    assert Path(pkg_file).is_relative_to(venv), pkg_file
    assert stray == "None None"

    exe = str(venv / "bin" / "graphlink")
    listed = _run(venv, work, exe, "query", "--list", "--format", "json")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    names = sorted(q["name"] for q in json.loads(listed.stdout))
    expected = sorted(p.stem for p in (REPO / "cypher" / "queries").glob("*.cypher"))
    assert len(names) == len(expected) == 16
    assert names == expected

    snap = write_snapshot(tmp_path / "snap", BASE)
    rep = tmp_path / "rep"
    ingest = _run(venv, work, exe, "ingest", str(snap), "--report-dir", str(rep), env=env_for_cli)
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    assert "Traceback" not in ingest.stdout + ingest.stderr
    (report,) = rep.glob("ingest-report-*.json")
    tables = {t["table"]: t for t in json.loads(report.read_text())["tables"]}
    assert tables["accounts"]["loaded"] == 3
    assert count(store, "MATCH (a:Account) RETURN count(a) AS n") == 3
    assert count(store, "MATCH (:Account)-[:USED_IP]->(i:IP) RETURN count(DISTINCT i) AS n") == 2
