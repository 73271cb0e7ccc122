"""Which exceptions mean "the store cannot be reached right now" (answered 503, retried)."""

from __future__ import annotations

from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg import OperationalError as DriverOperationalError
from psycopg_pool import PoolTimeout

from infra.stores import StoreUnavailable

# The library's own (raised by its recorders) and the driver's (raised by pools and
# connections the library does not wrap).
OUTAGES: tuple[type[Exception], ...] = (
    StoreUnavailable,
    OperationalError,
    InterfaceError,
    DriverOperationalError,
    PoolTimeout,
)


def is_store_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, OUTAGES)
