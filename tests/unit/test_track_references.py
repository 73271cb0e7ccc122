"""The `Track` aggregate's references: a response or concession names a live statement of
the track; a withdrawal names its party's own withdrawable statement, not yet withdrawn."""

from __future__ import annotations

import pytest

from domain import errors
from domain.events import ResponseGiven, Withdrawn
from tests.unit.builders import (
    REQUIRED_EXTRAS,
    RUSSIA,
    USA,
    Unchanged,
    a_track_with_one_of_each_referable_type,
    demand,
    last_event,
    open_track,
    record,
    record_any,
    respond,
    retract,
    view_of,
    withdraw,
)

# -- references: responds_to ------------------------------------------------------------------


def test_a_response_to_a_statement_of_the_track_is_recorded_against_it():
    track = open_track()
    demand(track, "d1")

    respond(track, "r1", "d1", "reject")

    assert isinstance(last_event(track), ResponseGiven)
    assert view_of(track).statements["d1"].answers == ["r1"]


def test_a_response_naming_no_statement_of_the_track_is_an_unresolvable_reference():
    track = open_track()
    demand(track, "d1")
    unchanged = Unchanged(track)

    with pytest.raises(errors.UnresolvableReference) as refused:
        respond(track, "r1", "no-such-statement", "reject")

    assert refused.value.field == "responds_to"
    unchanged.check()


def test_a_response_to_a_retracted_statement_is_an_unresolvable_reference():
    track = open_track()
    demand(track, "d1")
    retract(track, "d1")
    unchanged = Unchanged(track)

    with pytest.raises(errors.UnresolvableReference) as refused:
        respond(track, "r1", "d1", "accept")

    assert refused.value.field == "responds_to"
    unchanged.check()


def test_a_concession_may_name_nothing_but_if_it_names_a_statement_that_must_resolve():
    track = open_track()
    demand(track, "d1")

    record(track, "c1", "concession", USA)
    record(track, "c2", "concession", USA, responds_to="d1")
    with pytest.raises(errors.UnresolvableReference):
        record(track, "c3", "concession", USA, responds_to="d404")

    assert set(view_of(track).statements) == {"d1", "c1", "c2"}
    assert view_of(track).statements["d1"].answers == ["c2"]


def test_a_statement_of_another_track_cannot_be_answered():
    geneva = open_track(slug="geneva")
    brussels = open_track(slug="brussels")
    demand(geneva, "d1")

    with pytest.raises(errors.UnresolvableReference):
        respond(brussels, "r1", "d1", "reject")


# -- references: withdraws --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "author"), [("demand", RUSSIA), ("proposal", USA), ("sanction_warning", USA)]
)
def test_a_party_can_withdraw_its_own_demand_proposal_or_sanction_warning(kind, author):
    track = open_track()
    record(track, "s1", kind, author, **REQUIRED_EXTRAS[kind])

    withdraw(track, "w1", "s1", party=author)

    event = last_event(track)
    assert isinstance(event, Withdrawn)
    assert event.statement["withdraws"] == "s1"
    assert view_of(track).statements["s1"].withdrawals == ["w1"]


def test_a_withdrawal_of_another_partys_statement_is_an_unresolvable_reference():
    track = open_track()
    demand(track, "d1", party=RUSSIA)
    unchanged = Unchanged(track)

    with pytest.raises(errors.UnresolvableReference) as refused:
        withdraw(track, "w1", "d1", party=USA)

    assert refused.value.field == "withdraws"
    unchanged.check()


@pytest.mark.parametrize(
    "kind",
    [
        "response",
        "concession",
        "meeting_scheduled",
        "meeting_held",
        "agreement",
        "withdrawal",
        "statement",
    ],
)
def test_a_withdrawal_of_a_type_that_is_not_withdrawable_is_refused(kind):
    track = a_track_with_one_of_each_referable_type()
    record_any(track, "target", kind)
    author = view_of(track).statements["target"].fields["party"]
    unchanged = Unchanged(track)

    with pytest.raises(errors.UnresolvableReference) as refused:
        withdraw(track, "w1", "target", party=author)

    assert refused.value.field == "withdraws"
    unchanged.check()


def test_a_withdrawal_naming_no_statement_is_an_unresolvable_reference():
    track = open_track()
    unchanged = Unchanged(track)

    with pytest.raises(errors.UnresolvableReference) as refused:
        withdraw(track, "w1", "d404")

    assert refused.value.field == "withdraws"
    unchanged.check()


def test_a_withdrawal_of_a_retracted_statement_is_an_unresolvable_reference():
    track = open_track()
    demand(track, "d1")
    retract(track, "d1")
    unchanged = Unchanged(track)

    with pytest.raises(errors.UnresolvableReference):
        withdraw(track, "w1", "d1")

    unchanged.check()


def test_withdrawing_an_already_withdrawn_statement_is_refused():
    track = open_track()
    demand(track, "d1")
    withdraw(track, "w1", "d1")
    unchanged = Unchanged(track)

    with pytest.raises(errors.UnresolvableReference):
        withdraw(track, "w2", "d1")

    unchanged.check()


def test_once_a_withdrawal_is_retracted_the_statement_can_be_withdrawn_again():
    track = open_track()
    demand(track, "d1")
    withdraw(track, "w1", "d1")
    retract(track, "w1")

    withdraw(track, "w2", "d1")

    assert view_of(track).statements["d1"].withdrawals == ["w1", "w2"]
