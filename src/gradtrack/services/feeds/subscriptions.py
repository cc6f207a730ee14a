"""Subscriptions (docs/calendar.md): the secret URLs ``calendar serve`` answers.

A subscription is a token, shown once; the store keeps only its SHA-256 (:func:`hash_token`),
which ``calendar serve`` looks up and compares in constant time (:func:`tokens_equal`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gradtrack.errors import Conflict, NotFound
from gradtrack.models import Program, Recommender, Subscription
from gradtrack.services import refs
from gradtrack.services.feeds.scopes import FeedScope, scope_of


def hash_token(token: str) -> str:
    """The stored form of a subscription token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh subscription token: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def tokens_equal(a_hash: str, b_hash: str) -> bool:
    """Compare two token hashes in constant time."""
    return hmac.compare_digest(a_hash.encode("utf-8"), b_hash.encode("utf-8"))


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    scope: FeedScope
    subject: str | None  # the program's slug or the recommender's name
    label: str
    created: datetime
    revoked: datetime | None


def subscribe(session: Session, scope: FeedScope, label: str) -> tuple[Subscription, str]:
    """A new subscription and its token; only the token's hash is stored."""
    from gradtrack.textcheck import check_text

    label = " ".join(label.split())
    check_text("label", label, Subscription.label)
    token = new_token()
    sub = Subscription(
        token_hash=hash_token(token),
        program_id=scope.ident if scope.kind == "program" else None,
        recommender_id=scope.ident if scope.kind == "recommender" else None,
        label=label,
    )
    session.add(sub)
    session.flush()
    return sub, token


def feed_urls(base_url: str, token: str) -> tuple[str, str]:
    """The ``http(s)://`` URL of a token's feed and its ``webcal://`` twin."""
    url = f"{base_url.rstrip('/')}/feeds/{token}.ics"
    return url, "webcal://" + url.split("://", 1)[1]


def list_subscriptions(session: Session) -> list[SubscriptionView]:
    programs = {pid: slug for pid, slug in session.execute(select(Program.id, Program.slug))}
    recommenders = {
        rid: name for rid, name in session.execute(select(Recommender.id, Recommender.name))
    }
    views = []
    for sub in session.scalars(select(Subscription).order_by(Subscription.id)):
        scope = scope_of(sub.program_id, sub.recommender_id)
        names = programs if scope.kind == "program" else recommenders
        subject = names.get(scope.ident) if scope.ident is not None else None
        views.append(
            SubscriptionView(sub.id, scope, subject, sub.label, sub.created_at, sub.revoked_at)
        )
    return views


def revoke(session: Session, ref: str, now: datetime) -> Subscription:
    """End a subscription (``3`` or ``s3``); its URL answers 404 from now on."""
    sub = refs.by_id(session, Subscription, ref, "s")
    if sub is None:
        raise NotFound("subscription", ref, message=f"no subscription {ref!r}")
    if sub.revoked_at is not None:
        raise Conflict(f"subscription s{sub.id} is already revoked")
    sub.revoked_at = now
    session.flush()
    return sub
