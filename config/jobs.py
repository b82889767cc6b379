"""The embedded jobs loop: runs the Celery beat schedule in-process when there is no
broker (make run), so one command gives a complete system. At scale, Celery beat runs the
same schedule and this loop is not used."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from celery.schedules import schedule as every
from django.conf import settings
from django.db import close_old_connections

from config.celery import app

logger = logging.getLogger(__name__)


class JobsLoop:
    def __init__(self, entries: dict | None = None, *, tick: float = 5.0):
        self.entries = dict(entries if entries is not None else settings.CELERY_BEAT_SCHEDULE)
        self.tick = tick
        self.last_run: dict[str, datetime] = {}
        self.stopping = threading.Event()

    def due(self, now: datetime) -> list[str]:
        names = []
        for name, entry in self.entries.items():
            timing = entry["schedule"]
            if not hasattr(timing, "is_due"):
                timing = every(run_every=float(timing))
            last = self.last_run.get(name)
            if last is None or timing.is_due(last).is_due:
                names.append(name)
        return names

    def run_due(self) -> list[str]:
        now = datetime.now(UTC)
        ran = []
        for name in self.due(now):
            self.last_run[name] = now
            entry = self.entries[name]
            try:
                app.tasks[entry["task"]].apply(
                    args=entry.get("args", ()), kwargs=entry.get("kwargs", {})
                )
                ran.append(name)
            except Exception:
                logger.exception("Periodic job %s failed", name)
            finally:
                close_old_connections()
        return ran

    def run_forever(self) -> None:
        app.loader.import_default_modules()  # register every app's tasks
        # Let the web server come up before the first jobs call the simulator on it.
        self.stopping.wait(self.tick)
        while not self.stopping.is_set():
            self.run_due()
            self.stopping.wait(self.tick)

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="jobs-loop", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
