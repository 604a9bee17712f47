"""Originates before taps: the PBX answers a burst of originates sooner when the AMD taps of
the calls already answered wait until it has taken them.

At a campaign's start the far end answers the first calls while the PBX is still working
through the later originates; each answered call then asks for a snoop channel, an
externalMedia channel and a bridge. Measured on two cores, that work delayed the later
originates' INVITEs by up to 200 ms. A tap waits (at most ``max_wait`` seconds) while
originates are under way; it loses nothing a person says (people answer and then speak), at
most the first moment of a mailbox's greeting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

__all__ = ["OriginateWindow"]


class OriginateWindow:
    def __init__(self, max_wait: float = 0.15) -> None:
        self.max_wait = max_wait
        self._under_way = 0
        self._clear = asyncio.Event()
        self._clear.set()

    @contextlib.contextmanager
    def originating(self) -> Iterator[None]:
        """Around one originate request, until the PBX has answered it."""
        self._under_way += 1
        self._clear.clear()
        try:
            yield
        finally:
            self._under_way -= 1
            if self._under_way == 0:
                self._clear.set()

    async def wait_clear(self) -> None:
        """Until no originate is under way, or ``max_wait`` has passed."""
        if self._under_way:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._clear.wait(), self.max_wait)
