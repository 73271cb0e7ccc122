"""How a store is shown to a user, and what a failed PostgreSQL connection tells them to change
(the driver's own texts, as psycopg 3 words them: it gives no SQLSTATE for these)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.stores import parse_database_url, postgres_unavailable, shown_url

URL = "postgresql://rita:s3cret@db.example:5433/tracker"
REFUSED = (
    'connection failed: connection to server at "10.0.0.5", port 5433 failed: Connection '
    "refused\n\tIs the server running on that host and accepting TCP/IP connections?"
)
NO_ROLE = 'connection failed: connection to server at "10.0.0.5", port 5433 failed: FATAL:  role "rita" does not exist'  # noqa: E501
BAD_PASSWORD = 'connection failed: connection to server at "10.0.0.5", port 5433 failed: FATAL:  password authentication failed for user "rita"'  # noqa: E501
NO_DATABASE = 'connection failed: connection to server at "10.0.0.5", port 5433 failed: FATAL:  database "tracker" does not exist'  # noqa: E501


def test_a_sqlite_store_is_shown_by_its_absolute_path_and_postgres_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert shown_url("sqlite:///./a/../x.sqlite3") == f"sqlite:///{tmp_path.resolve()}/x.sqlite3"
    assert shown_url(URL) == "postgresql://rita:***@db.example:5433/tracker"
    assert shown_url("memory://") == "memory://"


@pytest.mark.parametrize(
    ("driver", "advice"),
    [
        (REFUSED, "cannot reach PostgreSQL at db.example:5433: start the server, or point"),
        (NO_ROLE, "PostgreSQL at db.example:5433 refuses the user 'rita': correct the"),
        (BAD_PASSWORD, "PostgreSQL at db.example:5433 refuses the user 'rita': correct the"),
        (NO_DATABASE, "has no database 'tracker': create it (createdb -h db.example -p 5433"),
    ],
)
def test_a_failed_connection_says_what_to_change_in_the_database_url(
    driver: str, advice: str
) -> None:
    message = str(postgres_unavailable(parse_database_url(URL), Exception(driver)))

    assert advice in message
    assert "NTRACK_DATABASE_URL" in message
    assert message.endswith("]") and "\n" not in message  # the driver's words, on one line
    assert "s3cret" not in message
