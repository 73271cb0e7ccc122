"""Party names are compared in NFC and without invisible characters (domain.names), so a
name recorded before the API refused such characters is the party its plain name names;
and a slug never reads as a track id."""

from __future__ import annotations

import unicodedata

import pytest

from domain import errors
from domain.names import describe, find_party, first_invisible, has_visible, party_key
from domain.values import is_valid_slug, slugify
from tests.unit.builders import RECORDER, USA, open_track, record, statement

NFC = "Côte d'Ivoire"
NFD = unicodedata.normalize("NFD", NFC)


def test_names_that_differ_in_unicode_form_or_by_invisible_characters_share_a_key() -> None:
    assert NFC != NFD and party_key(NFC) == party_key(NFD) == NFC
    for invisible in ("\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\x07", "\U000e0041"):
        assert party_key(f"Rus{invisible}sia") == "Russia"
        assert first_invisible(f"Rus{invisible}sia") == invisible
    assert party_key("Russia ") != "Russia"  # visible differences stay differences
    assert first_invisible("Россия\u00a0ГЭС") is None


def test_text_is_visible_when_one_character_is_neither_space_nor_invisible() -> None:
    assert not has_visible(" \t\u3000\u00a0\u200b\n")
    assert has_visible(" a ")
    assert describe("\u200b") == "U+200B ZERO WIDTH SPACE"


def test_a_party_is_found_as_the_track_spells_it_the_exact_spelling_first() -> None:
    assert find_party(NFC, [NFD, "Russia"]) == NFD
    assert find_party("Russia", ["Russia\u200b", "Russia"]) == "Russia"
    assert find_party("Russia", ["Russia\u200b"]) == "Russia\u200b"
    assert find_party("Belarus", [NFD, "Russia"]) is None


def test_a_track_recorded_with_old_spellings_records_statements_under_them() -> None:
    track = open_track([NFD, "Russia\u200b", USA])
    record(track, "s1", "demand", NFC)
    record(track, "s2", "statement", USA, with_parties=["Russia"])
    record(track, "s3", "response", USA, responds_to="s1", position="accept")
    record(track, "s4", "statement", "Russia", attribution="claimed", claimed_by=NFC)
    recorded = [e.statement for e in track.pending_events[1:]]  # type: ignore[attr-defined]
    assert recorded[0]["party"] == NFD
    assert recorded[1]["with_parties"] == ["Russia\u200b"]
    assert (recorded[3]["party"], recorded[3]["claimed_by"]) == ("Russia\u200b", NFD)
    track.correct_statement(
        "s2", {"party": "Russia", "with_parties": None}, "who", recorded_by=RECORDER
    )
    assert track.pending_events[-1].changes["party"] == "Russia\u200b"  # type: ignore[attr-defined]


def test_a_party_that_differs_only_invisibly_is_not_a_new_party() -> None:
    track = open_track([NFD, USA])
    with pytest.raises(errors.RuleViolation, match="already a party"):
        track.add_party(NFC, recorded_by=RECORDER)
    with pytest.raises(errors.RuleViolation, match="distinct"):
        open_track(["Russia", "Russia\u200b"])
    with pytest.raises(errors.UnknownParty):
        track.record_statement("s1", statement("demand", "Belarus"), recorded_by=RECORDER)


@pytest.mark.parametrize(
    "slug",
    [
        "2f1e0d4c-9b8a-4766-8554-43322110ffee",
        "2f1e0d4c9b8a4766855443322110ffee",
        "2-f-1-e0d4c9b8a4766855443322110ffee",
    ],
)
def test_a_slug_that_reads_as_a_uuid_is_not_a_valid_slug(slug: str) -> None:
    assert not is_valid_slug(slug)
    assert is_valid_slug(slugify(slug)) and slugify(slug) == f"track-{slug}"
    assert is_valid_slug("2f1e0d4c9b8a4766855443322110ffe")  # 31 digits: no UUID
