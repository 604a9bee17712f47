"""Accounts of the web console and their sessions: roles, argon2id password hashes, lockout.

A password is never stored: only its argon2id hash (memory-hard, RFC 9106). Weak passwords are
refused (shorter than 12 characters, well known, or the account's name). After
:data:`LOCK_AFTER` failed logins in a row an account is locked for :data:`LOCK_FOR`. A session
is a random token in the browser's cookie; the store keeps only its SHA-256 hash, with the
session's CSRF token and its expiry. Adding, removing and changing accounts is audited (the
audit log never holds a password or a hash).
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from konform.store import audit
from konform.store.agent_states import check_name as check_agent_name
from konform.store.database import Store, utc_text

__all__ = [
    "LOCK_AFTER",
    "LOCK_FOR",
    "MIN_PASSWORD",
    "NAME",
    "ROLES",
    "Login",
    "Role",
    "Session",
    "User",
    "add",
    "check_password",
    "create_session",
    "end_session",
    "get",
    "list_all",
    "login",
    "remove",
    "session",
    "set_password",
    "token_hash",
]

Role = Literal["agent", "supervisor", "admin", "dpo"]
ROLES: tuple[Role, ...] = get_args(Role)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD = 12
LOCK_AFTER = 5
"""Failed logins in a row that lock an account."""
LOCK_FOR = timedelta(minutes=15)

# Well-known passwords of 12 or more characters (shorter ones are refused by length); the
# lists of leaked passwords are topped by these and by the words below with digits added.
_COMMON = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "qwertyuiopas",
        "qwertzuiopü",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "passwordpassword",
        "password1234",
        "password12345",
        "password123456",
        "iloveyou1234",
        "qwerty123456",
        "qwertz123456",
        "abc123456789",
        "abcdefghijkl",
        "letmein12345",
        "welcome12345",
        "administrator",
        "passwort1234",
        "passwort12345",
        "hallo1234567",
        "changeme1234",
        "asterisk1234",
        "konform12345",
    }
)
_WORDS = (
    "password",
    "passwort",
    "qwerty",
    "qwertz",
    "letmein",
    "welcome",
    "willkommen",
    "admin",
    "changeme",
    "asterisk",
    "konform",
    "iloveyou",
    "sommer",
    "winter",
)

_hasher = PasswordHasher()  # argon2id, RFC 9106's low-memory parameters (64 MiB, t=3, p=4)


@functools.cache
def _dummy_hash() -> str:
    """Verified against for an unknown name, so that a login takes as long as for a known one
    (made at the first such login: every konform command imports this module)."""
    return _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    agent: str | None
    """The PJSIP endpoint of the agent's phone (agent accounts)."""
    created_at: str
    locked_until: str | None


@dataclass(frozen=True, slots=True)
class Login:
    """What a login attempt came to: ``ok``, ``failed`` (unknown name or wrong password) or
    ``locked`` (too many failures; the password is not even checked)."""

    result: Literal["ok", "failed", "locked"]
    user: User | None
    locked_until: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str
    expires_at: str


def check_name(name: str) -> None:
    if NAME.fullmatch(name) is None:
        raise ValueError(
            f"user name {name!r} must be 1 to 64 letters, digits, _ . @ - (starting with a"
            " letter or digit)"
        )


def check_password(name: str, password: str) -> None:
    """Raise ValueError (one line, never echoing the password) unless it is strong enough."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password is shorter than {MIN_PASSWORD} characters")
    folded = password.strip().lower()
    if folded in _COMMON:
        raise ValueError("the password is a well-known one")
    stripped = folded.strip("0123456789!.?#*_- ")
    if stripped in _WORDS or not stripped:
        raise ValueError("the password is a well-known word with digits or signs added")
    if len(name) >= 3 and name.lower() in folded:
        raise ValueError("the password contains the user name")
    if len(set(password)) < 5:
        raise ValueError("the password repeats too few different characters")


def _check_role(role: str, agent: str | None) -> None:
    if role not in ROLES:
        raise ValueError(f"role {role!r} must be one of {', '.join(ROLES)}")
    if role == "agent" and not agent:
        raise ValueError(
            "an agent account needs --agent ENDPOINT (the PJSIP endpoint of its phone)"
        )
    if agent is not None:
        check_agent_name(agent)


_USER = "id, name, role, agent, created_at, locked_until"


def _user(row: tuple[int, str, Role, str | None, str, str | None]) -> User:
    return User(*row)


def add(
    store: Store,
    name: str,
    role: str,
    password: str,
    agent: str | None = None,
    by: str | None = None,
) -> User:
    """Create an account (audited). ValueError for a bad name, role or a weak password,
    KeyError if the name is taken; nothing is written then."""
    check_name(name)
    _check_role(role, agent)
    check_password(name, password)
    hashed = _hasher.hash(password)
    now = datetime.now(UTC)
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise KeyError(name)
        conn.execute(
            "INSERT INTO users (name, role, password_hash, agent, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (name, role, hashed, agent, utc_text(now)),
        )
        audit.record(store, "user_added", at=now, user=name, role=role, agent=agent, by=by)
    user = get(store, name)
    assert user is not None
    return user


def get(store: Store, name: str) -> User | None:
    row = store.conn.execute(f"SELECT {_USER} FROM users WHERE name = ?", (name,)).fetchone()
    return _user(row) if row else None


def list_all(store: Store) -> list[User]:
    return [_user(r) for r in store.conn.execute(f"SELECT {_USER} FROM users ORDER BY name")]


def remove(store: Store, name: str, by: str | None = None) -> bool:
    """Delete an account and its sessions (audited); False if there is none of that name."""
    with store.transaction() as conn:
        row = conn.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            return False
        conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (row[0],))
        conn.execute("DELETE FROM users WHERE id = ?", (row[0],))
        audit.record(store, "user_removed", user=name, by=by)
    return True


def set_password(store: Store, name: str, password: str, by: str | None = None) -> None:
    """Replace an account's password (audited); its sessions end and a lockout is lifted.
    KeyError for an unknown name, ValueError for a weak password."""
    check_password(name, password)
    hashed = _hasher.hash(password)
    with store.transaction() as conn:
        row = conn.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise KeyError(name)
        conn.execute(
            "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL"
            " WHERE id = ?",
            (hashed, row[0]),
        )
        conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (row[0],))
        audit.record(store, "user_password_set", user=name, by=by)


def set_role(
    store: Store, name: str, role: str, agent: str | None = None, by: str | None = None
) -> User:
    """Give an account another role (and agent phone: only an agent account has one; audited
    with before and after). Its sessions end, so the new rights hold from the next login.
    KeyError for an unknown name, ValueError for a bad role or agent; nothing written then."""
    _check_role(role, agent)
    if role != "agent":
        agent = None
    with store.transaction() as conn:
        row = conn.execute("SELECT id, role, agent FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise KeyError(name)
        conn.execute("UPDATE users SET role = ?, agent = ? WHERE id = ?", (role, agent, row[0]))
        conn.execute("DELETE FROM web_sessions WHERE user_id = ?", (row[0],))
        audit.record(
            store,
            "user_role_set",
            user=name,
            before={"role": row[1], "agent": row[2]},
            after={"role": role, "agent": agent},
            by=by,
        )
    user = get(store, name)
    assert user is not None
    return user


def login(store: Store, name: str, password: str, now: datetime | None = None) -> Login:
    """Check a login. A locked account is refused without checking the password; a wrong
    password counts towards the lockout, a right one resets the count. Not audited here: the
    caller knows where the attempt came from and audits it with that."""
    now = now or datetime.now(UTC)
    row = store.conn.execute(
        f"SELECT {_USER}, password_hash FROM users WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        _verify(_dummy_hash(), password)
        return Login("failed", None)
    user, hashed = _user(row[:6]), row[6]
    if user.locked_until is not None and user.locked_until > utc_text(now):
        return Login("locked", user, user.locked_until)
    if not _verify(hashed, password):
        with store.transaction() as conn:
            failures = conn.execute(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?"
                " RETURNING failed_logins",
                (user.id,),
            ).fetchone()[0]
            if failures >= LOCK_AFTER:
                until = utc_text(now + LOCK_FOR)
                conn.execute(
                    "UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?",
                    (until, user.id),
                )
                return Login("locked", user, until)
        return Login("failed", user)
    with store.transaction() as conn:
        conn.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", (user.id,)
        )
        if _hasher.check_needs_rehash(hashed):
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?",
                (_hasher.hash(password), user.id),
            )
    return Login("ok", user)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def create_session(
    store: Store, user: User, hours: int, now: datetime | None = None
) -> tuple[str, Session]:
    """A new session of ``user`` for ``hours``: the cookie's token (only its hash is stored)
    and the session with its CSRF token. Expired sessions are deleted on the way."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = utc_text(now + timedelta(hours=hours))
    with store.transaction() as conn:
        conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (utc_text(now),))
        conn.execute(
            "INSERT INTO web_sessions (token_hash, user_id, csrf, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (token_hash(token), user.id, csrf, utc_text(now), expires),
        )
    return token, Session(user, csrf, expires)


def session(store: Store, token: str, now: datetime | None = None) -> Session | None:
    """The unexpired session of a cookie's token, or None."""
    now = now or datetime.now(UTC)
    row = store.conn.execute(
        f"SELECT {', '.join('u.' + c.strip() for c in _USER.split(','))}, s.csrf, s.expires_at"
        " FROM web_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = ? AND s.expires_at > ?",
        (token_hash(token), utc_text(now)),
    ).fetchone()
    if row is None:
        return None
    return Session(_user(row[:6]), row[6], row[7])


def end_session(store: Store, token: str) -> None:
    store.conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash(token),))
