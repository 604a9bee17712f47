"""Originates before taps: the PBX answers a burst of originates sooner when the AMD taps of
the calls already answered wait until it has taken them.

At a campaign's start the far end answers the first calls while the PBX is still working
through the later originates; each answered call then asks for a snoop channel, an
externalMedia channel and a bridge, and that work delays the later originates' INVITEs. A tap
waits (at most ``max_wait`` seconds) while originates are under way and ``settle`` seconds
after the last one was answered: the PBX answers the originate request before its INVITE has
left, so a tap started at the answer still competes with it. A tap loses nothing a person says
(people answer and then speak), at most the first moment of a mailbox's greeting. The
measurements: docs/decisions/originate-window.md.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

__all__ = ["OriginateWindow"]


class OriginateWindow:
    """Counts originates under way; taps wait for none under way and the settle time after."""

    def __init__(self, max_wait: float = 0.3, settle: float = 0.1) -> None:
        self.max_wait = max_wait
        self.settle = settle
        self._under_way = 0
        self._clear = asyncio.Event()
        self._clear.set()
        self._settling: asyncio.TimerHandle | None = None

    @contextlib.contextmanager
    def originating(self) -> Iterator[None]:
        """Around one originate request, until the PBX has answered it."""
        self._under_way += 1
        self._clear.clear()
        if self._settling is not None:
            self._settling.cancel()
            self._settling = None
        try:
            yield
        finally:
            self._under_way -= 1
            if self._under_way == 0:
                if self.settle > 0:
                    self._settling = asyncio.get_running_loop().call_later(
                        self.settle, self._clear.set
                    )
                else:
                    self._clear.set()

    async def wait_clear(self) -> None:
        """Until no originate is under way nor settling, or ``max_wait`` has passed."""
        if not self._clear.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._clear.wait(), self.max_wait)
