"""The v1.1 rules of the statement model in the domain (API.md, "Rules that use them" and
its clarifications): who may claim a statement, joint parties, other tracks, meeting ends,
hearsay that decides nothing, replies to any statement, and corrections kept to the rules."""

from __future__ import annotations

from typing import Any

import pytest

from domain import errors
from domain.values import instant_of, precision_of, sort_key, track_id_for
from domain.views import (
    active_sanction_warnings,
    affected_statements,
    open_demands,
    statement_view,
)
from tests.unit.builders import (
    NATO,
    RUSSIA,
    USA,
    correct,
    demand,
    open_track,
    record,
    respond,
    sanction_warning,
    view_of,
    withdraw,
)


def _refused(field: str, track: Any, *args: Any, **fields: Any) -> None:
    version = track.version
    with pytest.raises(errors.RuleViolation) as refused:
        record(track, *args, **fields)
    assert refused.value.field == field
    assert track.version == version


# -- claims and joint parties ---------------------------------------------------------------


def test_a_claim_names_another_party_of_the_track_as_its_claimant() -> None:
    track = open_track()
    record(track, "s1", "statement", RUSSIA, attribution="claimed", claimed_by=USA)
    assert view_of(track).statements["s1"].fields["claimed_by"] == USA


@pytest.mark.parametrize(
    "fields",
    [
        {"attribution": "claimed"},  # nobody claims it
        {"attribution": "claimed", "claimed_by": "Ukraine"},  # not a party of the track
        {"attribution": "claimed", "claimed_by": RUSSIA},  # the party itself
        {"claimed_by": USA},  # attribution direct (the default)
        {"attribution": "reported", "claimed_by": USA},
    ],
)
def test_a_claimed_by_that_breaks_the_claim_rules_is_refused_naming_claimed_by(
    fields: dict[str, Any],
) -> None:
    _refused("claimed_by", open_track(), "s1", "statement", RUSSIA, **fields)


@pytest.mark.parametrize("joint", [["Ukraine"], [RUSSIA], [USA, USA]])
def test_with_parties_must_be_other_parties_of_the_track_once_each(joint: list[str]) -> None:
    _refused("with_parties", open_track(), "s1", "statement", RUSSIA, with_parties=joint)


def test_also_concerns_may_not_name_the_home_track() -> None:
    track = open_track()
    _refused("also_concerns", track, "s1", "statement", also_concerns=[str(track.id)])
    record(track, "s2", "statement", also_concerns=[str(track_id_for("nato-russia"))])


def test_a_meeting_may_not_end_before_it_began() -> None:
    track = open_track()
    begun = "2022-01-12T09:00:00+01:00"
    _refused("ended_at", track, "m1", "meeting_held", NATO, begun, ended_at="2022-01-12T07:59:00Z")
    record(track, "m2", "meeting_held", NATO, begun, ended_at="2022-01-12T08:00:00Z")


# -- hearsay decides nothing ----------------------------------------------------------------


def test_a_claimed_or_unconfirmed_response_is_listed_but_sets_only_the_claimed_status() -> None:
    track = open_track()
    demand(track, "d1", RUSSIA)
    respond(track, "r1", "d1", "reject", attribution="claimed", claimed_by=RUSSIA)
    respond(track, "r2", "d1", "accept", occurred_at="2022-01-11", attribution="unconfirmed")

    view = statement_view(view_of(track), "d1")

    assert view["status"] == "open"
    assert view["claimed_status"] == "accepted"  # the newest of them
    assert [r["id"] for r in view["responses"]] == ["r1", "r2"]
    assert [d["id"] for d in open_demands(view_of(track))] == ["d1"]


def test_the_party_s_own_response_sets_the_status_whatever_was_claimed_after_it() -> None:
    track = open_track()
    demand(track, "d1", RUSSIA)
    respond(track, "r1", "d1", "reject", occurred_at="2022-01-10", attribution="reported")
    respond(track, "r2", "d1", "accept", occurred_at="2022-01-12", attribution="unconfirmed")

    view = statement_view(view_of(track), "d1")

    assert (view["status"], view["claimed_status"]) == ("rejected", "accepted")
    assert open_demands(view_of(track)) == []


def test_a_hearsay_withdrawal_withdraws_nothing_and_a_later_own_one_still_may() -> None:
    track = open_track()
    sanction_warning(track, "sw1", USA)
    withdraw(track, "w1", "sw1", party=USA, attribution="unconfirmed")
    assert statement_view(view_of(track), "sw1")["status"] == "active"
    assert [w["id"] for w in active_sanction_warnings(view_of(track))] == ["sw1"]

    withdraw(track, "w2", "sw1", party=USA)

    assert statement_view(view_of(track), "sw1")["status"] == "withdrawn"


def test_correcting_a_withdrawal_to_hearsay_makes_the_statement_active_again() -> None:
    track = open_track()
    demand(track, "d1", RUSSIA)
    withdraw(track, "w1", "d1", party=RUSSIA)
    assert statement_view(view_of(track), "d1")["status"] == "withdrawn"

    correct(track, "w1", attribution="unconfirmed")

    assert statement_view(view_of(track), "d1")["status"] == "open"
    withdraw(track, "w2", "d1", party=RUSSIA)  # the aggregate agrees: not withdrawn yet
    with pytest.raises(errors.UnresolvableReference):
        correct(track, "w1", attribution="direct")  # two withdrawals would then count


# -- replies to any statement, warnings ------------------------------------------------------


def test_a_warning_lists_its_replies_and_stays_active_until_its_author_withdraws_it() -> None:
    track = open_track()
    record(track, "wa", "warning", RUSSIA, category="military", condition="if NATO expands")
    record(track, "s1", "statement", USA, "2022-01-02", responds_to="wa")
    respond(track, "r1", "wa", "reject")

    view = statement_view(view_of(track), "wa")
    assert (view["status"], view["condition"]) == ("active", "if NATO expands")
    assert [r["id"] for r in view["responses"]] == ["s1", "r1"]
    assert affected_statements(view_of(track), "r1") == ["r1", "wa"]

    withdraw(track, "w1", "wa", party=RUSSIA)

    assert statement_view(view_of(track), "wa")["status"] == "withdrawn"


def test_a_reply_changes_the_views_up_its_chain_of_answers() -> None:
    track = open_track()
    demand(track, "d1", RUSSIA)
    record(track, "p1", "proposal", USA, responds_to="d1")
    respond(track, "r1", "p1", "counter", party=RUSSIA)

    assert affected_statements(view_of(track), "r1") == ["r1", "p1", "d1"]
    nested = statement_view(view_of(track), "d1")["responses"][0]
    assert nested["status"] == "countered"


def test_boards_carry_the_speaker_and_a_sanction_warning_s_condition() -> None:
    track = open_track()
    speaker = {"name": "Vladimir Putin", "role": "President of Russia"}
    demand(track, "d1", RUSSIA, speaker=speaker)
    demand(track, "d2", RUSSIA)
    sanction_warning(track, "sw1", USA, condition="if Russia invades", speaker={"name": "JB"})

    demands = open_demands(view_of(track))
    warnings = active_sanction_warnings(view_of(track))

    assert demands[0]["speaker"] == speaker and "speaker" not in demands[1]
    assert warnings[0]["condition"] == "if Russia invades"
    assert warnings[0]["speaker"] == {"name": "JB"}


# -- dates by period ------------------------------------------------------------------------


def test_a_year_or_a_month_sorts_by_the_start_of_the_period_with_its_precision() -> None:
    assert sort_key("2022") == sort_key("2022-01-01") < sort_key("2022-01-01T00:00:01Z")
    assert sort_key("2022-02") == sort_key("2022-02-01")
    assert instant_of("2022-02-01T01:00:00+02:00") < instant_of("2022-02")
    assert [precision_of(v) for v in ("2022", "2022-02", "2022-02-03", "2022-02-03T10:00Z")] == [
        "year",
        "month",
        "day",
        "time",
    ]
    with pytest.raises(ValueError):
        instant_of("2022-13")


def test_statements_dated_by_month_or_year_show_their_precision_and_keep_their_order() -> None:
    track = open_track()
    record(track, "s1", "statement", RUSSIA, "2022-01-15")
    record(track, "s2", "statement", RUSSIA, "2022-01")
    record(track, "m1", "meeting_scheduled", NATO, "2021", meeting_at="2022-02", location="X")

    view = view_of(track)

    assert statement_view(view, "s2")["occurred_precision"] == "month"
    assert statement_view(view, "m1")["meeting_precision"] == "month"
    assert sorted(["s1", "s2", "m1"], key=lambda i: view.statements[i].at) == ["m1", "s2", "s1"]


# -- corrections keep the rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type": "demand"}, "type"),
        ({"withdraws": "d1"}, "withdraws"),
        ({"red_line": True}, "red_line"),  # a demand's field, on a statement
        ({"party": "Ukraine"}, "party"),
        ({"claimed_by": USA}, "claimed_by"),
        ({"attribution": "claimed"}, "claimed_by"),
        ({"with_parties": [RUSSIA]}, "with_parties"),
    ],
)
def test_a_correction_is_held_to_the_rules_of_recording(
    changes: dict[str, Any], field: str
) -> None:
    track = open_track()
    record(track, "s1", "statement", RUSSIA)
    version = track.version
    current = dict(view_of(track).statements["s1"].fields)

    with pytest.raises(errors.RuleViolation) as refused:
        track.correct_statement("s1", changes, "why", current=current, recorded_by="rita")

    assert refused.value.field == field
    assert track.version == version


def test_a_correction_may_change_the_party_and_the_claim_together() -> None:
    track = open_track()
    record(track, "s1", "statement", RUSSIA)
    current = dict(view_of(track).statements["s1"].fields)

    changes = {"party": USA, "attribution": "claimed", "claimed_by": RUSSIA}
    track.correct_statement("s1", changes, "misattributed", current=current, recorded_by="rita")

    assert {k: view_of(track).statements["s1"].fields[k] for k in changes} == changes


def test_a_meeting_s_required_field_cannot_be_corrected_away_nor_its_end_before_its_start() -> None:
    track = open_track()
    record(track, "m1", "meeting_held", NATO, "2022-01-12T10:00:00Z")
    record(track, "m2", "meeting_scheduled", NATO, meeting_at="2022-02-01", location="Geneva")
    fields = view_of(track).statements

    with pytest.raises(errors.RuleViolation, match="ended_at"):
        track.correct_statement(
            "m1",
            {"ended_at": "2022-01-12T09:00:00Z"},
            "r",
            current=dict(fields["m1"].fields),
            recorded_by="rita",
        )
    with pytest.raises(errors.RuleViolation, match="location"):
        track.correct_statement(
            "m2", {"location": None}, "r", current=dict(fields["m2"].fields), recorded_by="rita"
        )


def test_a_correction_of_the_sources_replaces_a_v1_source() -> None:
    track = open_track()
    record(track, "s1", "statement", RUSSIA, source={"publisher": "TASS"})
    assert statement_view(view_of(track), "s1")["sources"] == [{"publisher": "TASS"}]

    correct(track, "s1", sources=[{"title": "Readout"}, {"publisher": "RIA"}])

    view = statement_view(view_of(track), "s1")
    assert view["source"] == {"title": "Readout"}
    assert view["sources"] == [{"title": "Readout"}, {"publisher": "RIA"}]
