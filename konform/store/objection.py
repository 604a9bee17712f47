"""Opting out ("don't call me again"): the one implementation the dialer's IVR, the FastAGI
route and the CLI all use.

The number goes on the internal objection list, the objection and the erasure are audited and
the contact's personal data is erased, all in one committed transaction; only after the commit
does the caller get to play a confirmation, and only then are recording files removed.
"""

from __future__ import annotations

from konform.store import audit, donotcall, gdpr
from konform.store.database import Store

__all__ = ["opt_out"]


def opt_out(store: Store, number: str, source: str, campaign: str | None = None) -> bool:
    """Put ``number`` (E.164) on the internal list and erase its data; True if newly listed."""
    with store.transaction():
        added = donotcall.add_keys(store, "internal", [store.keyer.number_key(number)])
        audit.record(
            store,
            "opt_out",
            campaign=campaign,
            number=number,
            source=source,
            newly_listed=bool(added),
        )
        files = gdpr.erase(store, number, why=f"opt-out via {source}")
    gdpr.delete_files(files)
    return added > 0
