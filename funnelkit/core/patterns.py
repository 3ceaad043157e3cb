r"""Event-name patterns: one language, with the same answers in Python and in DuckDB SQL.

The language is :func:`fnmatch.fnmatchcase`'s (existing ``client.yaml`` files keep working),
case-sensitive and matching the whole name, plus regular expressions:

- ``*`` is any run of characters (also none, newlines too), ``?`` exactly one character;
- ``[seq]`` is one character in ``seq``, ``[!seq]`` one not in it; ``a-z`` is a code-point
  range; a ``]`` right after ``[`` / ``[!`` is a member, and so is a ``-`` first, last or right
  after a range (``[a-c-e]``: a–c, ``-``, ``e``); a range running backwards is empty (``[z-a]``
  matches nothing, ``[!z-a]`` any one character);
- a ``[`` without a ``]`` after it (that one excepted) is a literal ``[``, like every other
  character (``%``, ``_``, ``\``, ``.``, ``'`` …): there is no quoting;
- ``re:<regex>`` is a Python regex matching the whole name. SQL runs it in RE2, so keep to what
  both read alike: no look-arounds or back-references; ``\d``, ``\w``, ``\s`` are ASCII in SQL.

:func:`sql_match` writes ``=`` for a plain name, standard ``LIKE`` for ``*`` and ``?``, and
``regexp_full_match`` with a regex in the common subset of ``re`` and RE2 otherwise.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from .sql import lit

__all__ = ["REGEX_PREFIX", "check_pattern", "glob_to_like", "is_pattern", "match_names",
           "matches", "sql_match", "to_regex"]  # fmt: skip

REGEX_PREFIX = "re:"  #: the prefix of a regular-expression pattern


class _Set(NamedTuple):  # one character in (negated: not in) chars or the inclusive ranges
    negate: bool
    chars: str = ""
    ranges: tuple[tuple[str, str], ...] = ()


_ANY = _Set(negate=True)  # ``?``: a negated empty set
_STAR = None  # ``*``: a run of any characters
_Token = str | _Set | None  # a one-character str is that character


def _parse_set(body: str, negate: bool) -> _Set:
    """A closed set's members, read exactly as :func:`fnmatch.translate` reads them."""
    chunks, start, k = [], 0, 1  # a '-' between chunks makes a range; a first '-' is a member
    while (k := body.find("-", k)) >= 0:
        chunks.append(body[start:k])
        start, k = k + 1, k + 3  # the character after a range cannot start another
    if body[start:]:
        chunks.append(body[start:])
    else:  # a trailing '-' is a member
        chunks[-1] += "-"
    for k in range(len(chunks) - 1, 0, -1):  # drop empty ranges such as z-a
        if chunks[k - 1][-1] > chunks[k][0]:
            chunks[k - 1] = chunks[k - 1][:-1] + chunks[k][1:]
            del chunks[k]
    if not negate and chunks[0].startswith("!"):  # fnmatch reads a '!' that a dropped range
        negate, chunks[0] = True, chunks[0][1:]  # left first as a negation ([b-a!] is ?) …
        if not chunks[0] and len(chunks) > 1:  # … and the '-' then after it as a member
            chunks[0:2] = ["-" + chunks[1]]
    last = len(chunks) - 1
    ranges = tuple((chunks[k - 1][-1], chunks[k][0]) for k in range(1, last + 1))
    chars = "".join(c[bool(k) : len(c) - (k < last)] for k, c in enumerate(chunks))
    return _Set(negate, chars, ranges)


@lru_cache(maxsize=4096)
def _tokens(pattern: str) -> tuple[_Token, ...]:
    """Literal characters, :data:`_STAR` and :class:`_Set` tokens of a glob pattern."""
    out: list[_Token] = []
    i, n = 0, len(pattern)
    while i < n:
        char, i = pattern[i], i + 1
        if char == "*":
            out.append(_STAR)
        elif char == "?":
            out.append(_ANY)
        elif char == "[":
            negate = i < n and pattern[i] == "!"
            end = pattern.find("]", i + negate + 1)  # a ']' first in the set is a member
            if end < 0:
                out.append(char)  # unclosed: a literal '['
            else:
                out.append(_parse_set(pattern[i + negate : end], negate))
                i = end + 1
        else:
            out.append(char)
    return tuple(out)


def _re_char(char: str) -> str:  # ASCII punctuation is written "\" + character, in sets too
    return "\\" + char if char in string.punctuation and char != "_" else char


def _re_token(token: _Token) -> str:
    if token is _STAR:
        return ".*"
    if isinstance(token, str):
        return _re_char(token)
    if not (token.chars or token.ranges):
        return "." if token.negate else r"[^\s\S]"  # any character / nothing
    ranges = "".join(f"{_re_char(lo)}-{_re_char(hi)}" for lo, hi in token.ranges)
    members = "".join(map(_re_char, token.chars)) + ranges
    return f"[{'^' if token.negate else ''}{members}]"


def to_regex(pattern: str) -> str:
    r"""The regular expression (Python ``re`` and RE2 alike) a pattern means, full match.

    Examples
    --------
    >>> to_regex("view_[!a-c]*.html"), to_regex("re:view_(item|list)")
    ('(?s)view_[^a-c].*\\.html', 'view_(item|list)')
    """
    if pattern.startswith(REGEX_PREFIX):
        return pattern[len(REGEX_PREFIX) :]
    return "(?s)" + "".join(map(_re_token, _tokens(pattern)))


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(to_regex(pattern))


def is_pattern(text: str) -> bool:
    """Whether ``text`` matches anything but itself (``re:``, ``*``, ``?`` or a closed set).

    Examples
    --------
    >>> is_pattern("view_*"), is_pattern("[ab]"), is_pattern("a[b"), is_pattern("re:a")
    (True, True, False, True)
    """
    return text.startswith(REGEX_PREFIX) or not all(isinstance(t, str) for t in _tokens(text))


def matches(name: str, pattern: str) -> bool:
    """Whether an event name matches a pattern (case-sensitive, whole name).

    Examples
    --------
    >>> matches("view_item", "view_*"), matches("View_item", "view_*")
    (True, False)
    >>> matches("add_to_cart", "[ab]dd_*"), matches("a%b", "a%b"), matches("axb", "a%b")
    (True, True, False)
    >>> matches("view_item_list", "re:view_(item|cart)")
    False
    """
    if not is_pattern(pattern):
        return name == pattern
    return _compiled(pattern).fullmatch(name) is not None


def match_names(names: Iterable[str], pattern: str) -> list[str]:
    """The names (in their order) that ``pattern`` matches.

    Examples
    --------
    >>> match_names(["share", "referral_sent", "refer_friend"], "refer*")
    ['referral_sent', 'refer_friend']
    """
    return [name for name in names if matches(name, pattern)]


def _like_ok(pattern: str) -> bool:
    """Only characters, ``*`` and ``?`` (or sets meaning any one character): LIKE can say it."""
    if pattern.startswith(REGEX_PREFIX):
        return False
    return all(t == _ANY or not isinstance(t, _Set) for t in _tokens(pattern))


def glob_to_like(pattern: str) -> str:
    r"""The SQL ``LIKE`` body of a pattern made of characters, ``*`` and ``?``.

    ``%``, ``_`` and ``\`` are escaped with a backslash (use ``ESCAPE '\'``).

    Raises
    ------
    ValueError
        For a character set or ``re:``, which ``LIKE`` cannot express (see :func:`sql_match`).

    Examples
    --------
    >>> glob_to_like("add_*"), glob_to_like("a[b?")
    ('add\\_%', 'a[b_')
    """
    if not _like_ok(pattern):
        raise ValueError(f"{pattern!r} has a character set or a regex; use sql_match() for it")
    escaped = {"%": "\\%", "_": "\\_", "\\": "\\\\"}
    tokens = _tokens(pattern)
    return "".join(
        escaped.get(t, t) if isinstance(t, str) else "%" if t is _STAR else "_" for t in tokens
    )


def sql_match(column_sql: str, pattern: str) -> str:
    r"""A boolean SQL (DuckDB) expression: ``column_sql`` matches ``pattern``.

    Examples
    --------
    >>> sql_match("event", "it's"), sql_match("event", "add_*")
    ("event = 'it''s'", "event LIKE 'add\\_%' ESCAPE '\\'")
    >>> sql_match("e.event", "[pv]iew")
    "regexp_full_match(e.event, '(?s)[pv]iew')"
    """
    if not is_pattern(pattern):
        return f"{column_sql} = {lit(pattern)}"
    if _like_ok(pattern):
        return f"{column_sql} LIKE {lit(glob_to_like(pattern))} ESCAPE '\\'"
    return f"regexp_full_match({column_sql}, {lit(to_regex(pattern))})"


def check_pattern(pattern: str) -> str:
    """Return ``pattern`` if it can be matched; a ``re:`` regex that does not compile raises.

    Globs always compile (an unclosed ``[`` is a literal), so only regexes can fail; this is
    what ``client.yaml`` validation calls, so a bad regex stops a run before any work.

    Raises
    ------
    ValueError
        Naming the pattern, the regex error and the fix.

    Examples
    --------
    >>> check_pattern("view_*")
    'view_*'
    >>> check_pattern("re:view_(")
    Traceback (most recent call last):
    ...
    ValueError: 're:view_(' is not a valid regular expression (missing ), ...; fix it or ...
    """
    if pattern.startswith(REGEX_PREFIX):
        try:
            re.compile(pattern[len(REGEX_PREFIX) :])
        except re.error as err:
            raise ValueError(
                f"{pattern!r} is not a valid regular expression ({err}); fix it or "
                "write an exact event name or a glob pattern like 'view_*'"
            ) from None
    return pattern
