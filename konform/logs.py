"""Log output of every konform process: text or JSON lines, and redaction of secrets and numbers.

:func:`configure` installs one stderr handler on the root logger. Its :class:`Redactor` filter
rewrites each record before it is formatted: the configured secrets (the ARI password, in plain,
URL-quoted and HTTP Basic forms) become ``***``, and anything shaped like an E.164 number is
shown as :func:`konform.numbers.masked` shows it (GDPR Art. 5 (1) c: logs never hold a plain
phone number; the filter is the net under the callers' own masking).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal, TextIO
from urllib.parse import quote

from konform.numbers import masked

__all__ = ["FORMATS", "LEVELS", "JsonFormatter", "Redactor", "configure", "protect"]

FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error", "critical")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
# +49…, 0049…, 030…: international or national numbers; Asterisk's channel ids
# (1732441200.12) and epoch seconds start with 1 and stay.
_NUMBER = re.compile(r"(?<![\w.+])(?:\+|00|0)[1-9]\d{6,13}(?!\w|\.\d)")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC, ISO 8601), level, logger, message (and exc)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class Redactor(logging.Filter):
    """Masks secrets and plain phone numbers in a record's message and traceback."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def protect(self, secret: str, username: str | None = None) -> None:
        """Never show ``secret`` (nor its URL-quoted or Basic-auth forms with ``username``)."""
        if len(secret) < 4:  # masking "1" in every line would hide more than it protects
            return
        self._secrets.update({secret, quote(secret, safe=""), quote(secret)})
        if username is not None:
            basic = base64.b64encode(f"{username}:{secret}".encode()).decode("ascii")
            self._secrets.add(basic)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return _NUMBER.sub(lambda m: masked(m.group(0)), text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.redact(record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.exc_info = None  # formatted (and redacted) above
        record.msg, record.args = message, None
        return True


_redactor = Redactor()


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """konform's handler; without a stream, it writes to whatever ``sys.stderr`` is now."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__(stream)
        self._fixed = stream

    @property
    def stream(self) -> TextIO:
        return self._fixed or sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        self._fixed = value


def configure(
    level: str = "warning",
    fmt: Literal["text", "json"] | str = "text",
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send all logging to ``stream`` (stderr) at ``level``, as text or JSON lines."""
    if level.lower() not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}")
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    handler = _Handler(stream)
    handler.addFilter(_redactor)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)  # configured again (tests, an embedding program): one handler
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def protect(secrets: Iterable[tuple[str, str | None]]) -> None:
    """Mask these ``(secret, username)`` pairs in every log line from now on."""
    for secret, username in secrets:
        _redactor.protect(secret, username)
