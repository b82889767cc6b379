"""The Celery app. With no CELERY_BROKER_URL every task runs in-process (eager)."""

import logging
import os
import threading

from celery import Celery
from celery.signals import task_postrun, task_prerun
from kombu.exceptions import OperationalError as BrokerError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("partnerhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)
_loading_tasks = threading.Lock()


def send(task_name: str, *args, countdown: float | None = None) -> None:
    """Queue the task registered as `task_name` (run in-process without a broker), to
    run `countdown` seconds from now if given (in-process it runs at once).

    Services name the task they hand work to rather than import it: the tasks module
    imports the services, so this keeps the dependency one way (tasks -> services)."""
    if task_name not in app.tasks:
        # A web process never imports the tasks modules itself: load them (once). One
        # thread at a time: a gunicorn thread that came second used to find the modules
        # half-imported by the first and answer 500 (NotRegistered) for a stored
        # enrollment (seen by benchmarks/enrolments.py at 8 concurrent POSTs).
        with _loading_tasks:
            if task_name not in app.tasks:
                app.loader.import_default_modules()
    task = app.tasks[task_name]
    if countdown is None:
        task.delay(*args)
    else:
        task.apply_async(args, countdown=countdown)


def enqueue_on_commit(task_name: str, *args) -> None:
    """Queue `task_name` once the current transaction commits. A broker that cannot be
    reached is logged, never raised: the rows are committed already, the caller's answer
    stands, and the reconcile job re-drives whatever is still waiting."""
    from django.db import transaction

    def publish() -> None:
        try:
            send(task_name, *args)
        except (BrokerError, OSError) as exc:
            logger.warning(
                "Could not queue %s%r (%s): the reconcile job will pick it up", task_name, args, exc
            )

    transaction.on_commit(publish)


@task_prerun.connect(dispatch_uid="config.celery.connections_before_task")
@task_postrun.connect(dispatch_uid="config.celery.connections_after_task")
def _connections_as_for_a_request(**kwargs) -> None:
    """A task treats database connections as Django treats a request: kept for
    CONN_MAX_AGE, health-checked before reuse, dropped after an error.

    Celery's own Django fixup closes them around every task unless CELERY_DB_REUSE_MAX
    is set (settings.py sets it, so the fixup only recycles them now and then). Opening
    a PostgreSQL connection costs a worker more than applying a batch of webhook events.
    Eager tasks run inside the caller's request or command, which owns its connections.
    """
    task = kwargs.get("task")
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
