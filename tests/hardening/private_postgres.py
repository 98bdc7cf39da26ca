"""A PostgreSQL cluster of a test's own, which the test may restart at will (the machine's
shared server on 5432 is never touched). PostgreSQL refuses to run as root: as root,
`initdb` and `pg_ctl` run as the `postgres` OS user, in a directory it owns."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_VERSIONS = Path("/usr/lib/postgresql")


class ClusterUnavailable(Exception):
    """This machine lacks what a private cluster needs (server binaries, a way to drop root)."""


def postgres_bin() -> Path | None:
    """The newest installed server's bin directory (the one holding `initdb`)."""
    found = [
        path.parent
        for path in PG_VERSIONS.glob("*/bin/initdb")
        if path.parent.parent.name.replace(".", "").isdigit()
    ]
    if found:
        return max(found, key=lambda bin_dir: float(bin_dir.parent.name))
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def cluster_tools() -> tuple[Path, list[str], int | None]:
    """(server bin directory, command prefix, uid to chown to), or ClusterUnavailable."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise ClusterUnavailable("no PostgreSQL server binaries (initdb) installed")
    return (bin_dir, *_as_owner())


def _as_owner() -> tuple[list[str], int | None]:
    """(command prefix, uid to chown to): root runs the server as `postgres`."""
    if os.geteuid() != 0:
        return [], None
    runuser = shutil.which("runuser")
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        uid = None
    if runuser is None or uid is None:
        raise ClusterUnavailable("running as root needs `runuser` and a `postgres` OS user")
    return [runuser, "-u", "postgres", "--"], uid


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PrivateCluster:
    bin_dir: Path
    root: Path
    port: int
    prefix: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
        )

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        try:
            self.run(
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                *args,
                timeout=timeout,
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(
                f"pg_ctl {' '.join(args)} failed: {exc.stdout}{exc.stderr}\n{self.log_tail()}"
            ) from exc

    def start(self) -> None:
        self.pg_ctl("-w", "-t", "30", "start")

    def restart(self) -> None:
        """A fast restart: open connections are terminated, in-flight transactions roll back,
        and every committed one survives."""
        self.pg_ctl("-w", "-t", "30", "-m", "fast", "restart")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.pg_ctl("-m", "immediate", "-w", "-t", "20", "stop", timeout=30)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """initdb a cluster into a temporary directory and start it on a free loopback port;
    stopped (immediate) and removed afterwards, whatever happened."""
    bin_dir, prefix, uid = cluster_tools()
    root = Path(tempfile.mkdtemp(prefix="signflow-pg-"))
    if uid is not None:
        os.chown(root, uid, -1)
    sockets = root / "sockets"
    cluster = PrivateCluster(bin_dir, root, _free_port(), prefix)
    try:
        cluster.run(
            str(bin_dir / "initdb"),
            "-D",
            str(cluster.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        cluster.run("mkdir", str(sockets))
        # In postgresql.conf, not on pg_ctl's command line, so a restart keeps them.
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(cluster.port),
            "unix_socket_directories": f"'{sockets}'",
            "fsync": "off",
            "full_page_writes": "off",
            "max_connections": "100",
        }
        conf = "".join(f"{name} = {value}\n" for name, value in settings.items())
        with (cluster.data / "postgresql.conf").open("a") as f:
            f.write(conf)
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
