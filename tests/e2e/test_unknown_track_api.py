"""An unknown track is a 404 problem that names what was typed and where to look."""

from __future__ import annotations

import pytest

from domain.values import track_id_for
from tests.e2e.conftest import AUDITOR, RECORDER, Api, assert_problem

TYPED = "no-such-track"
A_STATEMENT = {"type": "statement", "party": "Russia", "occurred_at": "2022-01-10", "summary": "x"}
READS = [
    f"/v1/tracks/{TYPED}",
    f"/v1/tracks/{TYPED}/statements",
    f"/v1/tracks/{TYPED}/demands",
    f"/v1/tracks/{TYPED}/history",
    f"/v1/tracks/{TYPED}/as-of?version=1",
    f"/v1/tracks/{TYPED}/verify",
]


@pytest.mark.parametrize("path", READS)
def test_an_unknown_track_is_named_as_typed_and_points_to_the_list_of_tracks(
    client: Api, path: str
) -> None:
    body = assert_problem(client.http.get(path, headers=AUDITOR), 404)

    assert f"'{TYPED}'" in body["detail"] and "GET /v1/tracks" in body["detail"]
    assert str(track_id_for(TYPED)) not in body["detail"]  # an id the user never typed
    assert "min_position" not in body["detail"]


def test_a_write_to_an_unknown_track_names_it_as_typed(client: Api) -> None:
    response = client.http.post(
        f"/v1/tracks/{TYPED}/statements", json=A_STATEMENT, headers=RECORDER
    )

    body = assert_problem(response, 404)
    assert f"'{TYPED}'" in body["detail"] and "GET /v1/tracks" in body["detail"]
    assert str(track_id_for(TYPED)) not in body["detail"]


def test_only_a_read_that_sent_min_position_is_told_about_it(client: Api) -> None:
    response = client.http.get(f"/v1/tracks/{TYPED}", params={"min_position": 0})

    body = assert_problem(response, 404)
    assert f"'{TYPED}'" in body["detail"] and "min_position" not in body["detail"].split(":")[0]
    assert "position 0" in body["detail"]
