"""``calendar pushes --json`` and ``calendar subscriptions --json`` (docs/json.md): never a
password or a token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gradtrack.views import iso_utc

if TYPE_CHECKING:
    from gradtrack.services.feeds.subscriptions import SubscriptionView
    from gradtrack.services.push import TargetView


def push_target_doc(v: TargetView) -> dict[str, Any]:
    return {
        "id": v.id,
        "url": v.url,
        "user": v.user or None,
        "password": {"env": v.password_env} if v.password_env else None,
        "feed": {"kind": v.scope.kind, "id": v.scope.ident},
        "todo": v.todo,
        "registered": v.registered,
        "synced": iso_utc(v.synced_at),
        "resources": v.resources,
    }


def subscription_doc(v: SubscriptionView) -> dict[str, Any]:
    return {
        "id": v.id,
        "feed": {"kind": v.scope.kind, "id": v.scope.ident, "name": v.subject},
        "label": v.label,
        "created": iso_utc(v.created),
        "revoked": iso_utc(v.revoked),
    }
