"""A cache backend that cannot be reached, for the health checks."""

from django.core.cache.backends.locmem import LocMemCache


class UnreachableCache(LocMemCache):
    def set(self, *args, **kwargs):
        raise ConnectionError("cache is down")

    async def aset(self, *args, **kwargs):
        raise ConnectionError("cache is down")
