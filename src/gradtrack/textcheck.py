"""Text that goes into the store and text that goes to a terminal (docs/guarantees.md).

Two rules, one function each:

* :func:`text_problem` checks a value on input, from the command line and from a CSV file
  alike: no control characters in a single-line field (C0, C1, DEL, and the Unicode format
  characters that reorder or hide text: bidi overrides and isolates, zero-width marks), and
  no more characters than the model column holds.  Both backends then store the same thing:
  SQLite would keep a 10,000-character institution, PostgreSQL would refuse it with a message
  naming no field.
* :func:`visible` neutralises the same characters on the way out to a person (tables, the
  status summary, messages), as ``\\x1b`` / ``\\u202e`` escapes, for data stored by any means.

Pure standard library, cheap to import; the column lengths are read from the models when a
check runs (:func:`max_length`).
"""

from __future__ import annotations

import re
from typing import Any

# C0 (but tab, newline and carriage return, which multi-line fields keep), DEL, C1, and the
# format characters that change how text around them is shown: LRM/RLM, bidi embeddings,
# overrides and isolates, the Arabic letter mark, zero-width space/joiners, word joiner and
# friends, the BOM.
_MULTILINE_BAD = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab, newline and CR; DEL; C1
    "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb"
)
_BAD_IN_MULTILINE = re.compile(f"[{_MULTILINE_BAD}]")
_BAD_IN_LINE = re.compile(f"[\t\n\r{_MULTILINE_BAD}]")


_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    if match[0] in _NAMED:
        return _NAMED[match[0]]
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control and bidi/format character shown as an escape.

    ``multiline`` keeps line breaks and tabs (notes); otherwise they are escaped too, so one
    value stays on one line.
    """
    pattern = _BAD_IN_MULTILINE if multiline else _BAD_IN_LINE
    return pattern.sub(_escape, text)


def max_length(column: Any) -> int | None:
    """The length of a model column (``Program.institution``), ``None`` when unbounded."""
    length = column.property.columns[0].type.length
    return int(length) if length is not None else None


def text_problem(value: str, limit: int | None, *, multiline: bool = False) -> str | None:
    """What is wrong with ``value`` ("expected ..."), or ``None`` when it may be stored."""
    pattern = _BAD_IN_MULTILINE if multiline else _BAD_IN_LINE
    bad = pattern.search(value)
    if bad is not None:
        what = "tabs, line breaks or control characters" if not multiline else "control characters"
        return f"expected text without {what}; found {_escape(bad)} at position {bad.start() + 1}"
    if limit is not None and len(value) > limit:
        return f"expected at most {limit} characters (got {len(value)})"
    return None


def check_text(field: str, value: str | None, column: Any, *, multiline: bool = False) -> None:
    """Raise :class:`InvalidValue` naming ``field`` when ``value`` may not be stored."""
    if value is None:
        return
    problem = text_problem(value, max_length(column), multiline=multiline)
    if problem is not None:
        from gradtrack.errors import InvalidValue

        shown = visible(value[:60] + ("…" if len(value) > 60 else ""))
        raise InvalidValue(f"invalid {field} '{shown}' ({problem})")
