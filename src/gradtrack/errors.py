"""The one family of domain errors.

Core code raises these; the CLI turns them into one ``Error: ...`` line on stderr in exactly one
place (:func:`gradtrack.cli.main`).  Each message names the offending value.
"""

from __future__ import annotations


class GradtrackError(Exception):
    """A problem with stored data or a file's content (exit status 1)."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(GradtrackError):
    """A program, intake, recommender, ... named by the user does not exist."""


class Conflict(GradtrackError):
    """The change would duplicate or contradict what is stored."""


class InvalidValue(GradtrackError):
    """A value (typed or read from a file) that fails validation.

    The CLI turns it into a usage error (exit 2) when it came from an option or argument.
    """


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
