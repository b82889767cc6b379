"""Settings for the webhook benchmarks: the project's own, plus the two comparison views
(webhook_bench_urls). Only the benchmark scripts point DJANGO_SETTINGS_MODULE here."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "webhook_bench_urls"
