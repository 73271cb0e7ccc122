"""Where tracks are snapshotted: every interval at first, then every quarter of the version."""

from __future__ import annotations

from itertools import islice

from services.application import crosses_snapshot_point, snapshot_points


def test_points_are_the_interval_apart_then_a_quarter_of_the_version_apart() -> None:
    assert list(islice(snapshot_points(100), 9)) == [100, 200, 300, 400, 500, 625, 781, 976, 1220]


def test_a_ten_thousand_event_track_has_under_twenty_snapshots() -> None:
    assert len([p for p in islice(snapshot_points(100), 100) if p <= 10_000]) == 18


def test_a_save_crosses_a_point_when_the_point_lies_after_its_start_up_to_its_end() -> None:
    assert crosses_snapshot_point(99, 100, 100)
    assert crosses_snapshot_point(0, 500, 100)
    assert crosses_snapshot_point(600, 700, 100)  # 625
    assert not crosses_snapshot_point(100, 199, 100)
    assert not crosses_snapshot_point(625, 780, 100)
