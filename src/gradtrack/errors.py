"""The one family of domain errors.

Core code raises these and says what went wrong in its own terms (which thing, which value);
the CLI turns them into one ``Error: ...`` line on stderr in exactly one place
(:func:`gradtrack.cli.base.translate`), adding what only the command line knows: the
command that lists what exists (``see `gradtrack program list```).  Each message names the
offending value.  Exit statuses: 2 for a value the user typed (a usage error), 1 for
everything else, including a bad value found in stored data or in a file.
"""

from __future__ import annotations

from collections.abc import Sequence


class GradtrackError(Exception):
    """A problem with stored data or a file's content (exit status 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(GradtrackError):
    """A program, intake, recommender, ... named by the user does not exist.

    ``noun`` says what was looked for (``"program"``, ``"milestone"``, ...), ``ref`` how the
    user named it, ``candidates`` the nearest stored names (may be empty).  ``message`` is the
    whole sentence when the default (``no NOUN matches REF``) does not fit.
    """

    def __init__(
        self,
        noun: str,
        ref: str,
        candidates: Sequence[str] = (),
        *,
        message: str | None = None,
    ) -> None:
        self.noun, self.ref, self.candidates = noun, ref, tuple(candidates)
        if message is None:
            message = f"no {noun} matches {ref!r}"
            if self.candidates:
                message += f"; did you mean {' or '.join(repr(c) for c in self.candidates)}?"
        super().__init__(message)


class Ambiguous(NotFound):
    """A reference that matches several stored things (``candidates``: the first ten)."""


class Conflict(GradtrackError):
    """The change would duplicate or contradict what is stored."""


class InvalidValue(GradtrackError):
    """A value the user typed that fails validation (exit status 2, a usage error).

    Made by :meth:`of` it also says which ``field``, the ``value`` and what was ``expected``.
    """

    field: str = ""
    value: object = None
    expected: str = ""

    @classmethod
    def of(cls, field: str, value: object, expected: str) -> InvalidValue:
        """``invalid FIELD 'VALUE' (expected EXPECTED)``."""
        error = cls(f"invalid {field} {value!r} (expected {expected})")
        error.field, error.value, error.expected = field, value, expected
        return error


class StoredDataError(GradtrackError):
    """A value read from the store or a file that fails validation (exit status 1: nothing
    the user typed is wrong)."""


class SchemaMismatch(GradtrackError):
    """The database schema is behind (or ahead of) this version of gradtrack."""


class Problems(GradtrackError):
    """Several problems, one line each (the CLI shows one ``Error:`` line per problem);
    ``total`` counts them all when the list shown was cut short."""

    def __init__(self, problems: list[str], total: int | None = None) -> None:
        self.problems = problems
        self.total = len(problems) if total is None else total
        super().__init__("\n".join(problems))


class ImportProblems(Problems):
    """A file was rejected; ``problems`` holds one line per problem."""
