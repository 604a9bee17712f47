"""What every command gets: the configuration, the store (opened on first use) and output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from konform.config import Config
from konform.numbers import InvalidNumber, normalize
from konform.store.database import Store, open_store

__all__ = ["Context", "UserError"]


class UserError(Exception):
    """A refusal or bad input: printed as one line, exit code 2 (or ``code``)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Context:
    config: Config
    db_path: Path
    creates_db: bool = False
    """The command may create the database (an import, an owned caller ID, an objection);
    every other command refuses, and creates nothing, when there is none yet."""
    _store: Store | None = field(default=None, repr=False)

    def has_database(self) -> bool:
        return self._store is not None or self.db_path.exists()

    @property
    def store(self) -> Store:
        if self._store is None:
            if not self.creates_db and not self.db_path.exists():
                raise UserError(
                    f"no database at {self.db_path} (start with 'konform callerid add' "
                    "or 'konform import')"
                )
            key = self.config.store.secret_file or None
            self._store = open_store(self.db_path, key)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def number(self, raw: str, what: str = "number") -> str:
        """The E.164 form of a number given on the command line, or a clear refusal."""
        try:
            return normalize(raw, self.config.policy.default_region)
        except InvalidNumber as exc:
            raise UserError(f"{what}: {exc}") from None

    @staticmethod
    def out(text: str = "") -> None:
        sys.stdout.write(text + "\n")

    @staticmethod
    def out_json(value: Any) -> None:
        sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=None, default=str) + "\n")

    @staticmethod
    def warn(text: str) -> None:
        sys.stderr.write(text + "\n")
