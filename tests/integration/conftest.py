"""Fixtures of the view checkpoint tests (test_checkpoint*.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.settings import Settings
from services import checkpoints
from services.bootstrap import Tracker, build
from tests.integration.checkpoint_history import INTERVAL


@pytest.fixture
def small_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Few records per bucket and early regrowth, so short tracks spread their buckets
    again several times."""
    monkeypatch.setattr(checkpoints, "MIN_BUCKETS", 2)
    monkeypatch.setattr(checkpoints, "RECORDS_PER_BUCKET", 1)
    monkeypatch.setattr(checkpoints, "REGROW_AFTER", 3)


@pytest.fixture
def checkpointed(database_url: str, small_buckets: None) -> Iterator[Tracker]:
    instance = build(
        Settings(
            database_url=database_url,
            embedded_projector=False,
            snapshot_interval=7,
            checkpoint_interval=INTERVAL,
        )
    )
    yield instance
    instance.close()
