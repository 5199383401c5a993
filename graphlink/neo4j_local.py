"""A project-local Neo4j 5.26 Community server, assembled from Maven Central.

No Docker engine and no tarball download are available here, but the server
is published on Maven Central in pieces.  ``graphlink/maven/pom.xml`` (package
data) names them; Maven
copies them into ``<home>/lib`` and the official boot loader
(``org.neo4j.server.startup.Neo4jBoot``, the class behind ``bin/neo4j``) starts,
stops and reports on the server exactly as the distribution would, with our own
``neo4j.conf`` (loopback only, auth on, memory sized for the machine).

The generated password is kept in ``<home>/password`` (mode 0600).  Users with
their own Neo4j or Aura set ``NEO4J_URI`` and never touch this module.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from graphlink.errors import Neo4jServerError

#: The Maven project naming Neo4j's artifacts, shipped as package data.
POM = files("graphlink") / "maven" / "pom.xml"
BOOT = "org.neo4j.server.startup.Neo4jBoot"
ADMIN_BOOT = "org.neo4j.server.startup.Neo4jAdminBoot"


@dataclass(frozen=True)
class LocalNeo4j:
    """One local server instance: a home directory and its ports.

    Several can run side by side (tests start their own on free ports).
    """

    home: Path
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "4g"
    pagecache: str = "6g"

    # -- paths ---------------------------------------------------------------
    @property
    def lib(self) -> Path:
        return self.home / "lib"

    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def password_file(self) -> Path:
        return self.home / "password"

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["NEO4J_HOME"] = str(self.home)
        env["NEO4J_CONF"] = str(self.conf_dir)
        return env

    def _java(
        self, main: str, *args: str, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        java = shutil.which("java")
        if not java:
            raise Neo4jServerError("java not found on PATH: Neo4j 5.26 needs Java 17")
        return subprocess.run(
            [java, "-cp", f"{self.lib}/*", main, *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # -- install -------------------------------------------------------------
    def installed(self) -> bool:
        return (self.lib / ".complete").exists()

    def install(self, *, lib_from: Path | None = None) -> None:
        """Resolve the server jars with Maven into ``<home>/lib`` (once).

        ``lib_from`` reuses an already-resolved lib directory (tests share the
        main install instead of copying 200 jars again).
        """
        if self.installed():
            return
        self.home.mkdir(parents=True, exist_ok=True)
        if lib_from is not None:
            if self.lib.is_symlink() or self.lib.exists():
                self.lib.unlink() if self.lib.is_symlink() else shutil.rmtree(self.lib)
            self.lib.symlink_to(lib_from.resolve(), target_is_directory=True)
            return
        mvn = shutil.which("mvn")
        if not mvn:
            raise Neo4jServerError("Maven (mvn) not found on PATH: it fetches Neo4j's jars")
        tmp = self.home / "lib.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        # Maven runs on a copy under the home: site-packages may be read-only
        # and Maven may write next to its pom.
        pom = self.home / "pom.xml"
        pom.write_text(POM.read_text(encoding="utf-8"), encoding="utf-8")
        proc = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={tmp}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise Neo4jServerError(
                "Maven could not resolve Neo4j from Maven Central:\n"
                + (proc.stdout + proc.stderr)[-4000:]
            )
        shutil.rmtree(self.lib, ignore_errors=True)
        tmp.rename(self.lib)
        (self.lib / ".complete").write_text(pom.read_text(encoding="utf-8"))

    # -- configuration ---------------------------------------------------------
    def configure(self) -> None:
        """Write ``neo4j.conf`` and, on first use, a generated password."""
        for d in ("conf", "data", "logs", "run", "plugins", "import", "licenses"):
            (self.home / d).mkdir(parents=True, exist_ok=True)
        conf = f"""# Written by graphlink (graphlink/neo4j_local.py); edits are overwritten.
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.listen_address=127.0.0.1:{self.bolt_port}
server.http.listen_address=127.0.0.1:{self.http_port}
server.https.enabled=false
dbms.security.auth_enabled=true
server.memory.heap.initial_size={self.heap}
server.memory.heap.max_size={self.heap}
server.memory.pagecache.size={self.pagecache}
dbms.memory.transaction.total.max=0
db.tx_log.rotation.retention_policy=2 files
server.directories.data={self.home / "data"}
server.directories.logs={self.home / "logs"}
server.directories.run={self.home / "run"}
server.directories.plugins={self.home / "plugins"}
server.directories.import={self.home / "import"}
server.directories.licenses={self.home / "licenses"}
dbms.usage_report.enabled=false
server.jvm.additional=-XX:+UseG1GC
server.jvm.additional=-XX:-OmitStackTraceInFastThrow
server.jvm.additional=-XX:+AlwaysPreTouch
server.jvm.additional=-XX:+UnlockExperimentalVMOptions
server.jvm.additional=-XX:+TrustFinalNonStaticFields
server.jvm.additional=-XX:+DisableExplicitGC
server.jvm.additional=-Djdk.nio.maxCachedBufferSize=1024
server.jvm.additional=-Dio.netty.tryReflectionSetAccessible=true
server.jvm.additional=-Djdk.tls.ephemeralDHKeySize=2048
server.jvm.additional=-Djdk.tls.rejectClientInitiatedRenegotiation=true
server.jvm.additional=-XX:FlightRecorderOptions=stackdepth=256
server.jvm.additional=-XX:+UnlockDiagnosticVMOptions
server.jvm.additional=-XX:+DebugNonSafepoints
server.jvm.additional=--add-opens=java.base/java.nio=ALL-UNNAMED
server.jvm.additional=--add-opens=java.base/java.io=ALL-UNNAMED
server.jvm.additional=--add-opens=java.base/sun.nio.ch=ALL-UNNAMED
server.jvm.additional=-Dlog4j2.disable.jmx=true
"""
        (self.conf_dir / "neo4j.conf").write_text(conf)
        if not self.password_file.exists():
            # Hex, not token_urlsafe: a password starting with '-' is read by
            # neo4j-admin as an option ("Missing required parameter: '<password>'").
            password = secrets.token_hex(16)
            proc = self._java(ADMIN_BOOT, "dbms", "set-initial-password", password)
            if proc.returncode != 0:
                raise Neo4jServerError(
                    "could not set the initial password:\n" + proc.stdout + proc.stderr
                )
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(password + "\n")

    def password(self) -> str:
        return self.password_file.read_text().strip()

    # -- lifecycle -------------------------------------------------------------
    def pid(self) -> int | None:
        pid_file = self.home / "run" / "neo4j.pid"
        if not pid_file.exists():
            return None
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError, PermissionError):
            return None
        return pid

    def bolt_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.bolt_port), timeout=1):
                return True
        except OSError:
            return False

    def start(self, *, timeout: float = 180) -> None:
        """Start the server (no-op if running) and return once Bolt accepts a login."""
        self.install()
        self.configure()
        if self.pid() is None:
            proc = self._java(BOOT, "start")
            if proc.returncode != 0 and "already running" not in proc.stdout + proc.stderr:
                raise Neo4jServerError(
                    "Neo4j failed to start:\n" + proc.stdout + proc.stderr + self.log_tail()
                )
        self.wait_ready(timeout=timeout)

    def wait_ready(self, *, timeout: float = 180) -> None:
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, ServiceUnavailable

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.pid() is None and not self.bolt_answers():
                # give the launcher a moment to write the pid file
                time.sleep(0.5)
            if self.bolt_answers():
                try:
                    with GraphDatabase.driver(
                        self.bolt_uri, auth=("neo4j", self.password()), connection_timeout=2
                    ) as d:
                        d.verify_connectivity()
                        d.execute_query("RETURN 1", database_="neo4j")
                        return
                except (ServiceUnavailable, AuthError, OSError) as e:
                    last = e
                except Exception as e:  # noqa: BLE001 - database still starting
                    last = e
            time.sleep(0.5)
        raise Neo4jServerError(
            f"Neo4j did not answer on {self.bolt_uri} within {timeout:.0f}s ({last})\n"
            + self.log_tail()
        )

    def stop(self) -> None:
        """Stop the server; data stays."""
        if not self.installed() or self.pid() is None:
            return
        proc = self._java(BOOT, "stop", timeout=180)
        if proc.returncode != 0 and self.pid() is not None:
            raise Neo4jServerError("Neo4j failed to stop:\n" + proc.stdout + proc.stderr)

    def status(self) -> dict[str, object]:
        pid = self.pid()
        return {
            "home": str(self.home),
            "installed": self.installed(),
            "running": pid is not None,
            "pid": pid,
            "bolt": self.bolt_uri,
            "browser": self.browser_url,
            "bolt_answers": self.bolt_answers(),
        }

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for name in ("neo4j.log", "debug.log"):
            p = self.home / "logs" / name
            if p.exists():
                text = p.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {p} ---\n" + "\n".join(text))
        return "\n".join(out)

    def admin(self, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
        """Run ``neo4j-admin`` (e.g. ``database import full``) against this home."""
        self.install()
        self.configure()
        return self._java(ADMIN_BOOT, *args, timeout=timeout)


_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on, never the same one twice per process.

    The socket is closed before the caller binds the port, so two calls in a row
    could otherwise return the same number (a server's Bolt and HTTP ports).
    """
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def from_settings(settings: object) -> LocalNeo4j:
    from graphlink.config import Settings

    assert isinstance(settings, Settings)
    return LocalNeo4j(
        home=settings.neo4j_home,
        bolt_port=settings.bolt_port,
        http_port=settings.http_port,
        heap=settings.heap,
        pagecache=settings.pagecache,
    )
