"""Workers keep their database connections between tasks, as Django keeps them between
requests (CONN_MAX_AGE), instead of Celery's default of reconnecting around every task."""

from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun

from config.celery import app


def test_celerys_fixup_does_not_close_connections_around_every_task():
    fixup = DjangoWorkerFixup(app)
    assert fixup.db_reuse_max and fixup.db_reuse_max >= 100


class Task:
    def __init__(self, *, is_eager: bool):
        self.request = type("Request", (), {"is_eager": is_eager})()


def test_a_worker_task_applies_conn_max_age_and_an_eager_one_leaves_the_caller_alone(
    monkeypatch,
):
    calls = []
    monkeypatch.setattr("django.db.close_old_connections", lambda: calls.append(1))
    worker_task, eager_task = Task(is_eager=False), Task(is_eager=True)

    task_prerun.send(sender=worker_task, task=worker_task, task_id="1")
    task_postrun.send(sender=worker_task, task=worker_task, task_id="1")
    assert len(calls) == 2
    task_prerun.send(sender=eager_task, task=eager_task, task_id="2")
    task_postrun.send(sender=eager_task, task=eager_task, task_id="2")
    assert len(calls) == 2
