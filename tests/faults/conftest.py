"""Fault drills: the scaled system in real processes, against the test's own database.

Each drill starts what production runs (docs/operations.md, "Processes when scaled"):
gunicorn serving the API, the webhook receiver and the partner simulator; Celery workers
(and beat where a drill needs the schedule); and a Redis of the drill's own on a spare
port, as broker and shared cache, so a drill may stop it without touching the machine's
services. Every process shares the test's PostgreSQL database, which is why the drills
commit (transactional_db) and skip, or fail under REQUIRE_SERVICES=1, on anything else.

Each process runs in its own process group: a drill kills a worker as a machine would
lose it (SIGKILL to the group, pool children included), and the fixture's finalizer
stops every group it started, whether the drill passed or not. Every wait has a deadline
and fails with what it saw and the tail of the processes' output.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from partners.breakers import reset_breakers
from partners.registry import clear_adapters
from tests.conftest import require_service

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START_SECONDS = 40.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(
    what: str, condition: Callable[[], Any], *, seconds: float, every: float = 0.1, seen=None
):
    """condition()'s first truthy value, or a failure naming `what` and what was seen."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = seen() if seen else ""
            pytest.fail(f"{what}: not within {seconds:g} s. {detail}".strip())
        time.sleep(every)


class Process:
    """A subprocess in its own process group, its output in a file."""

    def __init__(self, name: str, args: list[str], *, env: dict[str, str], log: Path):
        self.name, self.args, self.log = name, args, log
        self._out = log.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 25) -> str:
        return f"\n--- {self.name} (last {lines} lines) ---\n" + "\n".join(
            self.output().splitlines()[-lines:]
        )

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL to the whole group (a prefork pool's children too), as a lost machine."""
        self.signal_group(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM to the group, SIGKILL for what is left after `grace` seconds."""
        if self.alive():
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        # Whatever the leader left behind in its group (pool children) goes too.
        self.signal_group(signal.SIGKILL)
        try:
            self.popen.wait(timeout=10)
        finally:
            self._out.close()


class RedisServer:
    """A redis-server of the drill's own: no persistence, so a restart comes back empty,
    as a broker that lost its messages."""

    def __init__(self, drill: Drill):
        self.drill = drill
        self.port = free_port()
        self.process: Process | None = None
        self.start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.process = self.drill.spawn(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
            ],
            env=dict(os.environ),
        )  # fmt: skip
        wait_for(f"redis-server on port {self.port}", self.ping, seconds=10, seen=self.drill.tails)

    def stop(self) -> None:
        assert self.process is not None
        self.process.stop()
        wait_for("redis-server to stop", lambda: not self.ping(), seconds=10)


class Drill:
    """Starts the processes of one drill and stops them all at the end."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.processes: list[Process] = []
        self.redis = RedisServer(self)
        self.web_port = free_port()
        self.site_url = f"http://127.0.0.1:{self.web_port}"
        self.access_log = tmp / "access.log"
        self.http = requests.Session()
        self.http.trust_env = False  # a proxy in the environment must not carry local calls

    # -- processes ----------------------------------------------------------------------

    def spawn(self, name: str, args: list[str], *, env: dict[str, str]) -> Process:
        n = sum(1 for p in self.processes if p.name.startswith(name))
        process = Process(name, args, env=env, log=self.tmp / f"{name}-{n}.log")
        self.processes.append(process)
        return process

    def env(self, **overrides: str) -> dict[str, str]:
        """What every process of the drill reads: the test's database, the drill's Redis
        as broker (db 0) and cache (db 1), the simulator on, SITE_URL at the web server."""
        db = connection.settings_dict
        database_url = "postgres://{}:{}@{}:{}/{}".format(
            quote(db["USER"] or "", safe=""),
            quote(db["PASSWORD"] or "", safe=""),
            db["HOST"] or "127.0.0.1",
            db["PORT"] or 5432,
            quote(db["NAME"], safe=""),
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(BASE_DIR),
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": self.redis.url(0),
            "REDIS_URL": self.redis.url(1),
            "SITE_URL": self.site_url,
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "PARTNER_SIMULATOR": "true",
            "PARTNER_SIMULATOR_FORCE": "true",
            "SECURE_SSL_REDIRECT": "false",
            "EMAIL_URL": "consolemail://",
            "PARTNER_LOG_WRITER": "immediate",
            "DATA_DIR": str(self.tmp / "data"),
            "LOG_LEVEL": "INFO",
        }
        env.update(overrides)
        return env

    def web(
        self, *, workers: int = 2, threads: int = 8, port: int | None = None, **env: str
    ) -> Process:
        """gunicorn on the drill's port (or `port`: a second server, such as the
        simulator standing apart as a partner's servers do); every request is a line
        `METHOD PATH STATUS SECONDS` in the access log (what reached the simulator is
        counted there), whichever server answered it."""
        url = f"http://127.0.0.1:{port}" if port else self.site_url
        process = self.spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--bind", url.removeprefix("http://"),
                "--workers", str(workers),
                "--threads", str(threads),
                "--timeout", "120",
                "--graceful-timeout", "2",
                "--access-logfile", str(self.access_log),
                "--access-logformat", "%(m)s %(U)s %(s)s %(L)s",
            ],
            env=self.env(**env),
        )  # fmt: skip

        def answers() -> bool:
            if not process.alive():
                pytest.fail(f"the web server exited{process.tail()}")
            try:
                return self.http.get(f"{url}/health/live/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for("the web server to answer", answers, seconds=START_SECONDS, seen=self.tails)
        return process

    def worker(self, *, concurrency: int = 4, pool: str = "prefork", **env: str) -> Process:
        """A Celery worker (prefork pool unless told), returned once it consumes."""
        process = self.spawn(
            "worker",
            [
                str(BIN / "celery"), "-A", "config", "worker",
                "--pool", pool,
                "--concurrency", str(concurrency),
                "--hostname", f"faults-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--loglevel", "INFO",
            ],
            env=self.env(**env),
        )  # fmt: skip

        def ready() -> bool:
            if not process.alive():
                pytest.fail(f"the worker exited{process.tail()}")
            return " ready." in process.output()

        wait_for("the worker to be ready", ready, seconds=START_SECONDS, seen=self.tails)
        return process

    def beat(self, **env: str) -> Process:
        return self.spawn(
            "beat",
            [
                str(BIN / "celery"), "-A", "config", "beat",
                "--schedule", str(self.tmp / f"beat-{uuid.uuid4().hex[:6]}"),
                "--loglevel", "INFO",
            ],
            env=self.env(**env),
        )  # fmt: skip

    def manage(self, *args: str, timeout: float = 60, **env: str) -> str:
        """`manage.py <args>` as staff would run it on a server; its output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop(grace=2)
        self.http.close()

    # -- what was seen -----------------------------------------------------------------

    def tails(self) -> str:
        return "".join(p.tail() for p in self.processes if p.name != "redis")

    def requests_seen(self, method: str, path_prefix: str) -> list[int]:
        """Statuses of the requests the web server answered on paths under the prefix."""
        return [status for status, _ in self.requests_answered(method, path_prefix)]

    def requests_answered(self, method: str, path_prefix: str) -> list[tuple[int, float]]:
        """(status, seconds the server took) of each request answered on paths under the
        prefix, in the order answered."""
        if not self.access_log.exists():
            return []
        answered = []
        for line in self.access_log.read_text().splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0] == method and parts[1].startswith(path_prefix):
                answered.append((int(parts[2]), float(parts[3])))
        return answered


@pytest.fixture
def drill(transactional_db, tmp_path, settings) -> Iterator[Drill]:
    """A drill's process starter on the test's PostgreSQL database, with the catalogue
    loaded; every process it started is stopped at the end, pass or fail."""
    if connection.vendor != "postgresql":
        require_service("fault drills run on PostgreSQL (set DATABASE_URL=postgres://...)")
    if shutil.which("redis-server") is None:
        require_service("fault drills start their own Redis: redis-server is not on PATH")
    call_command("load_catalogue", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    started = Drill(tmp_path)
    # This process's view of partners (adapters, webhook secrets) matches the processes'.
    settings.SITE_URL = started.site_url
    clear_adapters()
    reset_breakers()
    try:
        yield started
    finally:
        started.stop_all()
        clear_adapters()
        reset_breakers()


@pytest.fixture
def publish_to_drill(drill, settings, monkeypatch) -> Iterator[None]:
    """Tasks this test process queues (enrollment_create's provisioning, a reconcile sent
    by name) go to the drill's broker, for its workers, instead of running in-process."""
    from config.celery import app

    # Celery read Django's settings once, at first use: before they are changed here.
    assert app.conf.task_always_eager is not None
    app.loader.import_default_modules()  # every app's tasks, registered here too
    for name, value in {
        "broker_url": drill.redis.url(0),
        "broker_transport": None,
        "task_always_eager": False,
    }.items():
        monkeypatch.setitem(app.conf, name, value)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Connection pools made for the in-memory broker would keep publishing there.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    yield
    if app._pool is not None:
        app._pool.force_close_all()
