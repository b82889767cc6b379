#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # No DEBUG default here: like wsgi and Celery, manage.py is production unless DEBUG=true
    # is set (`make run` sets it; a developer may put it in .env). A command run on a server
    # must never switch on development behaviour, such as the partner simulator.
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
