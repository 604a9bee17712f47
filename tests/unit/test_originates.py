"""Originates before taps: a tap waits while originates are under way, never longer than asked."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from ari_app.originates import OriginateWindow


def _returns_at_once(coroutine: Coroutine[Any, Any, None]) -> bool:
    """Whether the coroutine finishes without suspending once (it waits for nothing)."""
    try:
        coroutine.send(None)
    except StopIteration:
        return True
    coroutine.close()
    return False


def test_a_tap_waits_for_the_originates_under_way() -> None:
    async def main() -> None:
        window = OriginateWindow(max_wait=5)
        order: list[str] = []

        async def originate() -> None:
            with window.originating():
                await asyncio.sleep(0.02)
                order.append("originated")

        async def tap() -> None:
            await asyncio.sleep(0)  # starts after the originate
            await window.wait_clear()
            order.append("tap")

        await asyncio.gather(originate(), tap())
        assert order == ["originated", "tap"]

    asyncio.run(main())


def test_the_wait_is_bounded_and_nothing_waits_when_clear() -> None:
    async def main() -> None:
        window = OriginateWindow(max_wait=0.01, settle=0)
        assert _returns_at_once(window.wait_clear())
        with window.originating():
            await window.wait_clear()  # an originate that never returns: the tap goes on
        await window.wait_clear()

    asyncio.run(main())


def test_a_tap_also_waits_the_settle_time_after_the_last_originate() -> None:
    async def main() -> None:
        window = OriginateWindow(max_wait=5, settle=0.05)
        loop = asyncio.get_running_loop()
        with window.originating():
            await asyncio.sleep(0)
        answered = loop.time()
        with window.originating():  # a later originate restarts the settle time
            await asyncio.sleep(0.02)
        restarted = loop.time()
        await window.wait_clear()
        assert loop.time() - restarted >= 0.045
        assert loop.time() - answered >= 0.065
        assert _returns_at_once(window.wait_clear())  # settled: nothing waits

    asyncio.run(main())
