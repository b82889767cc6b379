"""config.celery.send in a threaded web process that never imported the tasks modules."""

import threading
import time

from config import celery


def test_threads_sending_at_once_all_wait_for_the_tasks_modules(monkeypatch):
    """The first thread loads the modules; one arriving meanwhile must wait for them, not
    find them half-imported (Python hands a module being imported by another thread to a
    second importer as it is) and fail with NotRegistered."""
    name = "tests.config.send_probe"
    loading = threading.Event()
    sent = []

    def import_default_modules():
        if loading.is_set():
            return []  # a second importer sees the half-imported module: nothing new
        loading.set()
        time.sleep(0.3)

        @celery.app.task(name=name)
        def probe():
            sent.append("ran")

        return []

    monkeypatch.setattr(celery.app.loader, "import_default_modules", import_default_modules)
    monkeypatch.delitem(celery.app.tasks, name, raising=False)
    errors = []

    def send():
        try:
            celery.send(name)
        except Exception as exc:  # the failure under test
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
            time.sleep(0.02)
        for thread in threads:
            thread.join(5)
        assert errors == [] and sent == ["ran"] * 4
    finally:
        celery.app.tasks.pop(name, None)
