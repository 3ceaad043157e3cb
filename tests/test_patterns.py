"""Event-name patterns: Python matching equals fnmatch, and the SQL condition equals both."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from funnelkit.core.patterns import (
    glob_to_like,
    is_pattern,
    match_names,
    matches,
    sql_match,
    to_regex,
)

ALPHABET = "*?[]!-%_\\'.a b"


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def sql_matches(con: duckdb.DuckDBPyConnection, name: str, pattern: str) -> bool:
    row = con.execute(f"SELECT {sql_match('name', pattern)} FROM (SELECT ? AS name)", [name])
    return bool(row.fetchone()[0])


# (pattern, name, expected): every special character, sets, ranges, unclosed '[', SQL specials.
CASES = [
    ("", "", True),
    ("", "a", False),
    ("purchase", "purchase", True),
    ("purchase", "Purchase", False),  # case-sensitive
    ("purchase", "purchase_refund", False),  # whole name
    ("view_*", "view_", True),  # '*' also matches nothing
    ("view_*", "view_item_list", True),
    ("view_*", "page_view", False),
    ("*", "", True),
    ("**a", "ba", True),
    ("a*b*c", "aXbYc", True),
    ("a*b*c", "aXbY", False),
    ("?", "", False),
    ("?", "x", True),
    ("?", "xy", False),
    ("view_?tem", "view_item", True),
    ("a?b", "a\nb", True),  # '?' and '*' match a newline too
    ("a*b", "a\nx\nb", True),
    ("caf?", "café", True),  # one character, not one byte
    ("[ab]dd", "add", True),
    ("[ab]dd", "cdd", False),
    ("[!ab]dd", "cdd", True),
    ("[!ab]dd", "add", False),
    ("[!ab]", "\n", True),
    ("[a-c]", "b", True),
    ("[a-c]", "d", False),
    ("[!a-c]", "d", True),
    ("[a-c-e]", "-", True),  # a '-' right after a range is a member
    ("[a-c-e]", "e", True),
    ("[a-c-e]", "d", False),
    ("[-a]", "-", True),  # first or last '-' is a member
    ("[a-]", "-", True),
    ("[z-a]", "z", False),  # empty range: matches nothing
    ("[z-a]", "a", False),
    ("[!z-a]", "q", True),  # negated empty range: any one character
    ("[b-a!]", "q", True),  # fnmatch's quirk: a '!' left first by a dropped range negates
    ("[b-a!x]", "x", False),
    ("[b-a!x]", "!", True),
    ("[b-a!-x]", "-", False),  # … and the '-' after it is then a member
    ("[b-a!-x]", "c", True),
    ("[]]", "]", True),  # ']' right after '[' is a member
    ("[!]]", "]", False),
    ("[!]]", "x", True),
    ("[]", "[]", True),  # unclosed: literal
    ("[!]", "[!]", True),
    ("a[b", "a[b", True),
    ("a[b", "ab", False),
    ("[", "[", True),
    ("[[]", "[", True),
    ("[a]", "[a]", False),
    ("[\\]", "\\", True),  # backslash is literal inside sets …
    ("a\\*", "a\\xyz", True),  # … and outside: no quoting
    ("a\\*", "a*", False),
    ("[%_]", "_", True),
    ("[%_]", "x", False),
    ("[^a]", "^", True),  # '^' is a member, not a negation
    ("[^a]", "b", False),
    ("[a&&b]", "&", True),
    ("[.]", "x", False),
    ("100%", "100%", True),  # SQL LIKE specials are literal
    ("100%", "1000", False),
    ("a_b", "a_b", True),
    ("a_b", "axb", False),
    ("100%*", "100%_off", True),
    ("100%*", "1000", False),
    ("a_?", "axy", False),
    ("a.b", "axb", False),
    ("it's", "it's", True),  # quotes are literal and doubled in SQL
    ("it'*", "it's", True),
    ("[']s", "'s", True),
    ("a b", "a b", True),
    ("a+b(c)|{d}$", "a+b(c)|{d}$", True),
    ("a+b(c)|{d}$", "aab(c)|{d}", False),
    ("re:view_(item|cart)", "view_cart", True),
    ("re:view_(item|cart)", "view_item_list", False),  # full match, not search
    ("re:Purchase", "purchase", False),
    ("re:.*_lead", "generate_lead", True),
    ("re:a'b", "a'b", True),
    ("re:", "", True),
]


@pytest.mark.parametrize(("pattern", "name", "expected"), CASES)
def test_cases_in_python_and_sql(con, pattern: str, name: str, expected: bool) -> None:
    assert matches(name, pattern) is expected
    if not pattern.startswith("re:"):
        assert fnmatchcase(name, pattern) is expected  # the cases themselves are fnmatch's
    assert sql_matches(con, name, pattern) is expected


def test_sql_uses_equality_like_or_regex() -> None:
    assert sql_match("event", "purchase") == "event = 'purchase'"
    assert sql_match("event", "a[b") == "event = 'a[b'"  # unclosed '[' is plain text
    assert sql_match("event", "it's") == "event = 'it''s'"
    assert sql_match("e.event", "a%_*?") == "e.event LIKE 'a\\%\\_%_' ESCAPE '\\'"
    assert sql_match("event", "[!z-a]x") == "event LIKE '_x' ESCAPE '\\'"
    assert sql_match("event", "[ab]'") == "regexp_full_match(event, '(?s)[ab]\\''')"
    assert sql_match("event", "re:a|b") == "regexp_full_match(event, 'a|b')"


def test_glob_to_like() -> None:
    assert glob_to_like("purchase*") == "purchase%"
    assert glob_to_like("a_b?") == "a\\_b_"
    assert glob_to_like("100%\\") == "100\\%\\\\"
    assert glob_to_like("") == ""
    for pattern in ("[ab]", "re:a"):
        with pytest.raises(ValueError, match="sql_match"):
            glob_to_like(pattern)


def test_is_pattern() -> None:
    assert [is_pattern(p) for p in ("view_*", "a?", "[ab]", "[z-a]", "re:x")] == [True] * 5
    assert [is_pattern(p) for p in ("", "purchase", "a[b", "[]", "100%_x")] == [False] * 5


def test_match_names_keeps_order_and_caches() -> None:
    names = ["view_b", "share", "view_a", "view_b"]
    assert match_names(names, "view_*") == ["view_b", "view_a", "view_b"]
    assert match_names(iter(names), "re:view_[ab]") == ["view_b", "view_a", "view_b"]
    assert match_names(names, "nothing") == []


def test_regex_is_python_and_re2_alike() -> None:
    assert to_regex("a.b*") == "(?s)a\\.b.*"
    assert to_regex("[!a-c]?") == "(?s)[^a-c]."
    assert to_regex("[z-a]") == "(?s)[^\\s\\S]"
    with pytest.raises(re.error):
        matches("x", "re:(")


# -- properties ------------------------------------------------------------------------------------

chars = st.sampled_from(ALPHABET)
ranges = st.builds(lambda lo, hi: f"{lo}-{hi}", chars, chars)
sets = st.builds(
    lambda negate, body: f"[{negate}{''.join(body)}]",
    st.sampled_from(["", "!"]),
    st.lists(st.one_of(chars, ranges), min_size=1, max_size=3),
)
# Free text over the alphabet, and the same built from pieces so sets and ranges are frequent.
patterns = st.one_of(
    st.text(alphabet=ALPHABET, max_size=10),
    st.lists(st.one_of(chars, chars, sets), max_size=6).map("".join),
)


@st.composite
def pattern_and_name(draw: st.DrawFn) -> tuple[str, str]:
    """A pattern and a name that is often one of its matches, or one character off."""
    pattern = draw(patterns)
    if draw(st.integers(0, 4)) == 0:
        return pattern, draw(st.text(alphabet=ALPHABET, max_size=8))
    name, i = [], 0
    while i < len(pattern):  # fill '*', '?' and sets with random characters
        end = pattern.find("]", i + 2)
        if pattern[i] == "*":
            name.append(draw(st.text(alphabet=ALPHABET, max_size=3)))
        elif pattern[i] == "?":
            name.append(draw(chars))
        elif pattern[i] == "[" and end > 0:
            name.append(draw(st.sampled_from(pattern[i + 1 : end + 1]) | chars))
            i = end
        else:
            name.append(pattern[i])
        i += 1
    text = "".join(name)
    if text and draw(st.booleans()):  # a near miss: one character replaced
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(chars) + text[at + 1 :]
    return pattern, text


@settings(max_examples=300, deadline=None)
@given(pattern_and_name())
def test_python_matches_fnmatch(case: tuple[str, str]) -> None:
    pattern, name = case
    assert matches(name, pattern) == fnmatchcase(name, pattern)
    if not is_pattern(pattern):
        assert matches(pattern, pattern)


@settings(max_examples=300, deadline=None)
@given(pattern_and_name())
def test_sql_matches_fnmatch(con, case: tuple[str, str]) -> None:
    pattern, name = case
    assert sql_matches(con, name, pattern) == fnmatchcase(name, pattern)


@settings(max_examples=300, deadline=None)
@given(pattern_and_name())
def test_regex_route_matches_fnmatch(con, case: tuple[str, str]) -> None:
    """The regex of every glob (not only of those with sets) means the same in Python and RE2."""
    pattern, name = case
    regex = to_regex(pattern)
    expected = fnmatchcase(name, pattern)
    assert (re.fullmatch(regex, name) is not None) == expected
    assert sql_matches(con, name, "re:" + regex) == expected
