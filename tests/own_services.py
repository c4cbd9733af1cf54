"""Throwaway servers a test may stop and start at will (an outage caused for real), never
the machine's shared ones: a Redis, a PostgreSQL cluster (initdb in a temporary folder, run
as the `postgres` user), a Ceph radosgw gateway (scripts/radosgw.sh on a free port), and a
RabbitMQ node of its own (its own node name, ports, database and cookie)."""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_port(port: int, up: bool, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while _listening(port) != up:
        if time.monotonic() > deadline:
            raise AssertionError(f"port {port} still {'down' if up else 'up'}")
        time.sleep(0.1)


class OwnRedis:
    """redis-server on a free port; its data (AOF, fsync always) survives a stop."""

    def __init__(self, workdir: Path):
        self.dir, self.port, self.proc = workdir, free_port(), None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=(self.dir / "redis.log").open("a"), stderr=subprocess.STDOUT)
        _wait_port(self.port, True)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # what a restart of the service does
            self.proc.wait(timeout=30)
        self.proc = None


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


class OwnPostgres:
    """A PostgreSQL cluster of its own (initdb in a temporary folder, trust on loopback)."""

    def __init__(self):
        self.bin = postgres_bin()
        # a missing server fails the test that needs one, it does not skip it
        assert self.bin is not None, "PostgreSQL's server programs are not installed (/usr/lib/postgresql/*/bin)"
        self.port = free_port()
        # Not under pytest's folders: the postgres user cannot enter root's 0700 folders.
        self.dir = Path(tempfile.mkdtemp(prefix="sohoa-pg-"))
        self.data = self.dir / "data"
        self._as_postgres = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run([*self._as_postgres, str(self.bin / "initdb"), "-D", str(self.data), "-A",
                        "trust", "-U", "postgres", "--no-sync"], check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run([*self._as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data), "-w",
                        "-l", str(self.dir / "postgres.log"), *args], check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")  # what a restart of the service does

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class OwnRadosgw:
    """A single-node Ceph with its radosgw gateway on a free port. Stopping the gateway alone
    is the S3 outage: the cluster behind it (and so every stored object) stays up."""

    ACCESS_KEY, SECRET_KEY = "sohoa-outage", "sohoa-outage-secret-key"

    def __init__(self, workdir: Path):
        self.dir, self.port = workdir, free_port()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start_cluster(self) -> None:
        env = {**os.environ, "RGW_ACCESS_KEY": self.ACCESS_KEY, "RGW_SECRET_KEY": self.SECRET_KEY}
        done = subprocess.run(["bash", str(SCRIPTS / "radosgw.sh"), "start", str(self.dir),
                               str(self.port)], env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise AssertionError(f"radosgw did not start: {done.stderr[-2000:]}")

    def stop_gateway(self) -> None:
        pid = int((self.dir / "run" / "client.rgw.pid").read_text())
        os.kill(pid, signal.SIGKILL)  # a crash: no goodbye to the clients
        _wait_port(self.port, False)

    def start_gateway(self) -> None:
        subprocess.run(["radosgw", "-c", str(self.dir / "ceph.conf"), "-n", "client.rgw"],
                       check=True, timeout=120, capture_output=True)
        _wait_port(self.port, True, timeout_s=60)

    def remove(self) -> None:
        subprocess.run(["bash", str(SCRIPTS / "radosgw.sh"), "stop", str(self.dir)], timeout=120,
                       check=False)


class OwnRabbitMQ:
    """A RabbitMQ node beside the machine's (which keeps running): its own node name,
    AMQP and distribution ports on loopback, database (mnesia), logs, plugins (none),
    configuration and Erlang cookie, all in a temporary folder. Its messages are on disk:
    durable queues and persistent messages survive a stop."""

    SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")  # Debian's, without the su wrapper

    def __init__(self):
        # a missing server fails the test that needs one, it does not skip it
        assert self.SERVER.exists(), f"RabbitMQ's server is not installed ({self.SERVER})"
        self.dir = Path(tempfile.mkdtemp(prefix="sohoa-rabbitmq-"))
        self.port, self.proc = free_port(), None
        self.node = f"sohoa-test-{self.port}@localhost"
        (self.dir / "enabled_plugins").write_text("[].\n")
        for name in ("rabbitmq.conf", "rabbitmq-env.conf"):
            (self.dir / name).write_text("")
        self.env = {**os.environ, "HOME": str(self.dir),  # the cookie: never ~/.erlang.cookie
                    "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                    "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(free_port()),
                    "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(self.dir / "log"),
                    "RABBITMQ_PID_FILE": str(self.dir / "beam.pid"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
                    "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
                    "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.dir / "advanced.config"),
                    "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf")}

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self) -> None:
        self.proc = subprocess.Popen([str(self.SERVER)], env=self.env, start_new_session=True,
                                     stdout=(self.dir / "server.log").open("a"),
                                     stderr=subprocess.STDOUT)
        try:
            _wait_port(self.port, True, timeout_s=90)
        except AssertionError:
            self.stop()
            raise AssertionError(f"rabbitmq-server did not start: "
                                 f"{(self.dir / 'server.log').read_text()[-2000:]}") from None

    def stop(self) -> None:
        """What a restart of the service does: SIGTERM, the node shuts down cleanly."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the script and the Erlang VM under it
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self.proc = None
        _wait_port(self.port, False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
