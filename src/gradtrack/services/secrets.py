"""Passwords for CalDAV and SMTP: from an environment variable or the system keyring.

A password is never stored in the database and never printed: the store keeps at most the
*name* of the environment variable.  ``keyring`` is imported only when it is needed.
"""

from __future__ import annotations

from collections.abc import Mapping

from gradtrack.errors import GradtrackError

KEYRING_SERVICE = "gradtrack"


def keyring_entry(user: str, host: str) -> str:
    """The keyring user name a password is stored under: ``user@host``."""
    return f"{user}@{host}"


def password(
    environ: Mapping[str, str], variable: str, user: str, host: str, what: str
) -> str | None:
    """The password for ``user`` at ``host``: ``$variable`` when named, else the keyring.

    No user and no variable: no password (a server without authentication).  ``what`` names
    the server in messages (``CalDAV server``, ``mail server``).
    """
    if variable:
        value = environ.get(variable)
        if value is None:
            raise GradtrackError(
                f"environment variable {variable} is not set (it should hold the password "
                f"for the {what} {host})"
            )
        return value
    if not user:
        return None
    entry = keyring_entry(user, host)
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, entry)
    except Exception as exc:  # no backend, a locked keyring, ...: one line naming it
        raise GradtrackError(
            f"cannot read the password for {entry} from the system keyring: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if value is None:
        raise GradtrackError(
            f"no password for {entry} in the system keyring (store one with "
            f"`keyring set {KEYRING_SERVICE} {entry}`, or name an environment variable)"
        )
    return str(value)
