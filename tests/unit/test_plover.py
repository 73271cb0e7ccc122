"""The CAMEO to PLOVER table (domain/plover.py): copied verbatim, read whole, first line of a
code winning, and the default CAMEO code of every statement type mapped as PLOVER says."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

import domain
from domain.plover import NOT_MAPPED, TABLE, PloverEvent, parse_table, plover_of
from domain.statement_types import STATEMENT_TYPE_SPECS, CameoByField

TABLE_FILE = Path(domain.__file__).parent / "plover_table.txt"
RULE = "# " + "-" * 94 + "\n"

# What PLOVER makes of each default CAMEO code of the registry (event type, mode, context).
EXPECTED = {
    "100": ("DEMAND", None, None),
    "030": ("AGREE", None, "diplomatic"),
    "040": ("CONSULT", None, None),
    "080": ("CONCEDE", None, None),
    "120": ("REJECT", None, None),
    "1312": ("THREATEN", "restrict", "diplomatic"),
    "130": ("THREATEN", None, None),
    "138": ("THREATEN", "violence", "military"),
    "1313": ("THREATEN", "relations", "diplomatic"),
    "036": ("AGREE", None, "diplomatic"),
    "041": ("CONSULT", "phone", None),
    "046": ("CONSULT", None, "diplomatic"),
    "057": ("SUPPORT", None, "diplomatic"),
    "0832": ("CONCEDE", None, "executive"),
    "010": (None, None, None),
}


def default_codes() -> set[str]:
    codes: set[str] = set()
    for spec in STATEMENT_TYPE_SPECS.values():
        if isinstance(spec.cameo, CameoByField):
            codes.update(spec.cameo.codes.values())
            codes.add(spec.cameo.otherwise)
        else:
            codes.add(spec.cameo)
    return codes


def copied_text() -> str:
    _, rule, copied = TABLE_FILE.read_text("utf-8").partition(RULE)
    assert rule, "the header ends with a rule of dashes"
    return copied


def test_every_default_cameo_code_of_the_registry_maps_to_its_plover_event() -> None:
    assert default_codes() == set(EXPECTED), "a new default code needs its expected event"
    for code, expected in EXPECTED.items():
        assert tuple(plover_of(code)) == expected, code


def test_the_table_holds_every_code_of_the_file() -> None:
    in_file = set(re.findall(r"^(\d{2,4}):", copied_text(), flags=re.MULTILINE))
    assert len(in_file) > 250
    assert set(TABLE) == in_file


def test_the_copied_table_is_the_file_its_header_names() -> None:
    header = TABLE_FILE.read_text("utf-8").partition(RULE)[0]
    digest = re.search(r"sha256 ([0-9a-f]{64})", header)
    size = re.search(r"(\d+) characters", header)
    assert digest and size
    copied = copied_text()
    assert len(copied) == int(size[1])
    assert hashlib.sha256(copied.encode()).hexdigest() == digest[1]


def test_where_the_file_gives_a_code_twice_the_first_line_wins() -> None:
    assert copied_text().count("\n08: ") == 2
    assert TABLE["08"] == PloverEvent("CONCEDE")  # the second 08 heads the RETREAT codes
    assert TABLE["084"].event_type == "RETREAT"
    assert TABLE["175"] == PloverEvent("ASSAULT", None, "military")


def test_codes_of_roots_01_and_02_and_non_codes_have_no_event_type() -> None:
    for code in ("01", "010", "0101", "02", "0211", "99", "", "abc", None):
        assert plover_of(code) == NOT_MAPPED, code


def test_a_code_the_table_lacks_takes_its_nearest_listed_parent() -> None:
    assert plover_of("0412") == plover_of("041")
    assert plover_of("1099").event_type == "DEMAND"


def test_a_line_that_is_not_a_table_line_is_refused() -> None:
    assert parse_table("# a comment\n\n100: DEMAND, ,  # Demand\n~~~\nnot read") == {
        "100": PloverEvent("DEMAND")
    }
    with pytest.raises(ValueError, match="not a CAMEO to PLOVER line"):
        parse_table("DEMAND: 100")
    with pytest.raises(ValueError, match="no PLOVER category"):
        parse_table("100: , assist, legal")
