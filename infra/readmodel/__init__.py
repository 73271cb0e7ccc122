"""The read model's tables: `common` (what every store shares), `schema`, `writes`, and the
stores, `sqlite` and `postgres` (`infra.factory.open_stores` picks one)."""

from __future__ import annotations

from infra.readmodel.common import ReadModelStore
from infra.readmodel.rows import Facets, child_rows, count_facets, facet_rows, statement_row
from infra.readmodel.schema import (
    FACET_COLUMNS,
    JOINT_PARTY_COLUMNS,
    PARTY_COLUMNS,
    RELATED_COLUMNS,
    STATEMENT_CHILDREN,
    STATEMENT_COLUMNS,
    TABLES,
    TOPIC_COLUMNS,
    TRACK_COLUMNS,
    dumps,
    listed,
    track_row,
)
from infra.readmodel.writes import ReadModelTx

__all__ = [
    "FACET_COLUMNS",
    "JOINT_PARTY_COLUMNS",
    "PARTY_COLUMNS",
    "RELATED_COLUMNS",
    "STATEMENT_CHILDREN",
    "STATEMENT_COLUMNS",
    "TABLES",
    "TOPIC_COLUMNS",
    "TRACK_COLUMNS",
    "Facets",
    "ReadModelStore",
    "ReadModelTx",
    "child_rows",
    "count_facets",
    "dumps",
    "facet_rows",
    "listed",
    "statement_row",
    "track_row",
]
