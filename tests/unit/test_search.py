"""domain.search: folding, the web-search parser, its FTS5 and tsquery renderings, snippets
and their highlights."""

from __future__ import annotations

import pytest

from domain.search import (
    SNIPPET_LENGTH,
    NothingToFind,
    SearchQuery,
    Term,
    fold,
    highlight,
    parse,
    snippet,
    to_fts5,
    to_tsquery,
)


def test_fold_lowercases_drops_accents_and_makes_every_other_character_a_space() -> None:
    assert fold("Élysée-Palast: «Zürich», São Paulo!") == "elysee palast zurich sao paulo"
    assert fold("NATO's open door") == "nato s open door"
    assert fold("ﬁne ²") == "fine 2"  # compatibility forms decomposed too


def test_fold_keeps_letters_of_other_scripts() -> None:
    assert fold("Мир, ΟΔΟΣ") == "мир οδοσ"  # a final sigma folds like any other


def test_words_are_and_ed_and_or_joins_the_terms_either_side() -> None:
    query = parse("NATO OR alliance guarantees")
    assert query.all_of == ((Term(("nato",)), Term(("alliance",))), (Term(("guarantees",)),))
    assert query.none_of == ()


def test_quoted_phrases_and_words_that_fold_to_several_are_phrases() -> None:
    query = parse('"Open door" U.S. "unclosed quote')
    assert [group[0].words for group in query.all_of] == [
        ("open", "door"),
        ("u", "s"),
        ("unclosed", "quote"),
    ]


def test_a_minus_excludes_a_word_or_a_phrase() -> None:
    query = parse('NATO -enlargement -"open door"')
    assert query.all_of == ((Term(("nato",)),),)
    assert query.none_of == (Term(("enlargement",)), Term(("open", "door")))


def test_or_next_to_an_excluded_term_or_at_the_ends_joins_nothing() -> None:
    assert parse("OR a -b OR c OR") == SearchQuery(
        ((Term(("a",)),), (Term(("c",)),)), (Term(("b",)),)
    )
    assert parse("a or b").all_of == ((Term(("a",)),), (Term(("or",)),), (Term(("b",)),))


@pytest.mark.parametrize("text", ["", "   ", "-nato", '-"open door"', "OR", "¿?!", "- -"])
def test_a_query_without_a_word_to_look_for_is_refused(text: str) -> None:
    with pytest.raises(NothingToFind, match="q needs at least one word to look for") as raised:
        parse(text)
    assert raised.value.where == "query" and raised.value.field == "q"


def test_the_fts5_rendering_quotes_every_term_and_groups_or_under_and() -> None:
    query = parse('"open door" OR nato guarantees -"x y" -z')
    assert to_fts5(query) == ('(("open door" OR "nato") AND ("guarantees")) NOT ("x y" OR "z")')


def test_the_tsquery_rendering_says_the_same() -> None:
    query = parse('"open door" OR nato guarantees -"x y" -z')
    assert to_tsquery(query) == (
        "(('open' <-> 'door') | ('nato')) & (('guarantees')) & !('x' <-> 'y') & !('z')"
    )


def test_operator_words_inside_a_query_are_only_words() -> None:
    query = parse("not and or NEAR")
    assert to_fts5(query) == '(("not") AND ("and") AND ("or") AND ("near"))'
    assert to_tsquery(query) == "(('not')) & (('and')) & (('or')) & (('near'))"


def test_a_snippet_of_a_short_text_is_the_text() -> None:
    assert snippet(["NATO's open door stays open."], parse("door")) == (
        "NATO's open door stays open."
    )


def test_a_snippet_is_taken_around_the_first_match_ignoring_case_and_accents() -> None:
    text = "word " * 80 + "the Élysée said so " + "more " * 80
    found = snippet([text], parse("elysee"))
    assert "Élysée" in found
    assert len(found) <= SNIPPET_LENGTH
    assert found.startswith("…") and found.endswith("…")


def test_a_snippet_looks_in_the_fields_in_order_and_skips_empty_ones() -> None:
    fields = [None, "nothing here", "", "a title with the phrase open door in it"]
    assert snippet(fields, parse('"open door"')) == "a title with the phrase open door in it"


def test_a_snippet_without_a_match_shows_the_start_of_the_first_field() -> None:
    text = "x" * 300
    found = snippet([text, "other"], parse("absent"))
    assert found.startswith("xxx") and len(found) <= SNIPPET_LENGTH


def test_a_snippet_of_nothing_is_empty() -> None:
    assert snippet([None, " "], parse("a")) == ""


def test_a_highlight_marks_every_word_and_phrase_found_ignoring_case_and_accents() -> None:
    pieces = highlight(
        "NATO's open door: the Élysée and nato agree", parse('"open door" elysee NATO')
    )
    assert [text for text, marked in pieces if marked] == ["NATO", "open door", "Élysée", "nato"]
    assert "".join(text for text, _ in pieces) == "NATO's open door: the Élysée and nato agree"


def test_a_highlight_leaves_excluded_words_and_partial_phrases_unmarked() -> None:
    pieces = highlight("open the door, Russia", parse('"open door" OR russia -door'))
    assert pieces == [("open the door, ", False), ("Russia", True)]


def test_overlapping_matches_are_one_mark() -> None:
    pieces = highlight("a b c", parse('"a b" "b c"'))
    assert pieces == [("a b c", True)]
