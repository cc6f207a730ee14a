"""Shell completion (click's): program references, recommender names and milestone ids.

Click completes without running the group callbacks, so there is no App in the context: each
function builds its own from the ``--db`` typed so far.  Completion never fails loudly: a
missing or unreadable database completes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@contextmanager
def _session(ctx: click.Context) -> Iterator[tuple[Any, Session]]:
    from gradtrack.app import App

    db = None
    node: click.Context | None = ctx
    while node is not None:
        db = db or node.params.get("db_url") or node.params.get("db")
        node = node.parent
    app = App(db=db)
    try:
        with app.read() as session:
            yield app, session
    finally:
        app.close()


def _complete(
    candidates: Callable[[Any, Session], list[tuple[str, str]]],
) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    def complete(
        ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        try:
            with _session(ctx) as (app, session):
                found = candidates(app, session)
        except Exception:  # completion must never print a traceback into the shell
            return []
        folded = incomplete.casefold()
        return [
            CompletionItem(value, help=about)
            for value, about in found
            if value.casefold().startswith(folded)
        ]

    return complete


def _programs(app: Any, session: Session) -> list[tuple[str, str]]:
    from gradtrack.services.reads import program_names

    return program_names(session)


def _recommenders(app: Any, session: Session) -> list[tuple[str, str]]:
    from gradtrack.services.reads import recommender_rows

    return [(r.name, f"r{r.id}") for r in recommender_rows(session)]


def _milestones(app: Any, session: Session) -> list[tuple[str, str]]:
    from gradtrack.services import planinput

    built = planinput.build(session, app.now(), app.settings)
    return [(m.id, f"{m.date} {m.title}") for m in built.milestones]


complete_program = _complete(_programs)
complete_recommender = _complete(_recommenders)
complete_milestone = _complete(_milestones)
