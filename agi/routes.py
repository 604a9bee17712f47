"""The FastAGI routes: the same gate and the same opt-out as the dialer, for plain dialplan.

- ``precheck,<campaign>`` before an agent's ``Dial``: the dialled number is ``agi_extension``.
  Sets ``KONFORM_DECISION`` (allow/block), ``KONFORM_REASONS`` (comma-separated codes),
  ``KONFORM_PROMPTS`` (what the agent hears when blocked) and ``KONFORM_NUMBER_MASKED`` (for
  log lines). When allowed, the call is an attempt like any of the dialer's: it is written in
  the transaction that audits the decision, its id goes to ``KONFORM_ATTEMPT``, the number
  the gate judged (E.164) to ``KONFORM_NUMBER`` (the only thing the dialplan dials), and the
  campaign's number to ``CALLERID(num)`` with presentation allowed, whatever the phone sent.
- ``outcome,<attempt>,<DIALSTATUS>`` from the dialplan's hangup handler: the attempt's outcome.
- ``optout[,<number>]``: the opt-out menu; 9 puts the number on the internal objection list
  and erases its data (committed before the confirmation plays).
- ``callback``: the line behind every displayed number: who called, the opt-out, then agents
  (``KONFORM_ROUTE=agents``) or nothing (``KONFORM_ROUTE=unknown`` for numbers not owned).

Every store call runs on the service's :class:`~konform.store.worker.StoreWorker`, never on
the event loop, so a database locked by an import never freezes other live calls. Log lines
show numbers only masked. Every variable name lives in :mod:`agi.variables`, shared with the
dialplan and the tests.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from agi import variables as v
from agi.server import AgiHangup, AgiRequest, KonformAgi
from konform import gate
from konform.numbers import InvalidNumber, masked, normalize
from konform.reasons import CODES, Language, group_of
from konform.store import audit, callerids, campaigns, manual_dials
from konform.store.database import Store
from konform.store.objection import OptOuts
from konform.store.worker import StoreWorker

__all__ = ["PLAIN_DIAL_STRING", "KonformRoutes", "prompts_for"]

logger = logging.getLogger(__name__)

PRECHECK_SOURCE = "fastagi precheck"

# What an agent may dial: digits with an optional leading +. Anything else (``,60`` would be
# Dial's timeout, ``&PJSIP/x`` a second callee) is refused before the gate normalises it away:
# the call placed must be exactly the call judged (§ 7 UWG is judged per callee).
PLAIN_DIAL_STRING = re.compile(r"\+?[0-9]+")

# What an agent hears when the gate blocks: the first matching prompt per reason group.
# The prompt per reason group (konform.reasons.GROUPS), in the order an agent hears them.
GROUP_PROMPTS = (
    ("invalid", "konform/blocked-invalid"),
    ("dnc", "konform/blocked-dnc"),
    ("consent", "konform/blocked-consent"),
    ("time", "konform/blocked-time"),
    ("callerid", "konform/blocked-callerid"),
    ("attempts", "konform/blocked-attempts"),
)


def prompts_for(codes: list[str]) -> str:
    """``Playback`` argument for a blocked call: the general prompt, then one per reason."""
    names = ["konform/blocked"]
    groups = {group_of(code) for code in codes if code in CODES}
    names += [prompt for group, prompt in GROUP_PROMPTS if group in groups]
    return "&".join(names)


@dataclass(frozen=True)
class Prechecked:
    """What the precheck decided: the judged number (E.164, None if invalid), the reasons
    that block it, and when allowed the attempt opened and the campaign's caller ID."""

    number: str | None
    codes: tuple[str, ...]
    attempt: int | None = None
    caller_id: str = ""


class KonformRoutes:
    def __init__(
        self,
        store: Store,
        language: Language = "de",
        region: str = "DE",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        optout_wait_ms: int = 6000,
        *,
        worker: StoreWorker | None = None,
        optouts: OptOuts | None = None,
        optout_confirm_wait_s: float = 3.0,
    ) -> None:
        self.store = store
        self.language = language
        self.region = region
        self.clock = clock
        self.optout_wait_ms = optout_wait_ms
        self.worker = worker or (optouts.worker if optouts else StoreWorker(store))
        self.optouts = optouts or OptOuts(self.worker)
        self.optout_confirm_wait_s = optout_confirm_wait_s

    def install(self, app: KonformAgi) -> None:
        app.add_route("precheck", self.precheck)
        app.add_route("outcome", self.outcome)
        app.add_route("optout", self.optout)
        app.add_route("callback", self.callback)
        app.on_close.append(self.close)

    async def close(self) -> None:
        """Stop retrying objections (said loudly if any are left) and end the store's thread."""
        await self.optouts.close()
        await asyncio.to_thread(self.worker.close)

    # --- precheck ----------------------------------------------------------------------------
    async def precheck(self, request: AgiRequest) -> None:
        args = request.args
        raw = request.headers.get("agi_extension", "")
        name = args[0] if args else ""
        channel = request.headers.get("agi_uniqueid") or request.headers.get("agi_channel", "")
        result = await self.worker.run(self._precheck_store, name, raw, channel, self.clock())
        try:
            await request.set_variable(v.NUMBER_MASKED, masked(result.number or raw))
            if result.attempt is None:
                await self._block(request, list(result.codes))
                return
            assert result.number is not None  # an attempt is only opened for a judged number
            await request.set_variable(v.ATTEMPT, str(result.attempt))
            await request.set_variable(v.NUMBER, result.number)
            await request.set_variable("CALLERID(num)", result.caller_id)
            await request.set_variable("CALLERID(pres)", "allowed_not_screened")
            await request.set_variable(v.REASONS, "")
            await request.set_variable(v.PROMPTS, "")
            await request.set_variable(v.DECISION, "allow")
        except AgiHangup:
            if result.attempt is not None:  # the agent hung up before the dial: nobody called
                await self.worker.run(manual_dials.finish, self.store, result.attempt, "CANCEL")
            raise

    def _precheck_store(self, name: str, raw: str, channel: str, at: datetime) -> Prechecked:
        """The store side of a precheck (on the worker's thread)."""
        store = self.store
        campaign = campaigns.get(store, name) if name else None
        if campaign is None:
            audit.record(
                store,
                "precheck_refused",
                campaign=name or None,
                source="fastagi",
                why="unknown campaign",
            )
            return Prechecked(None, ("unknown_campaign",))
        if not PLAIN_DIAL_STRING.fullmatch(raw):
            audit.record(
                store,
                "policy_check",
                campaign=campaign.name,
                source=PRECHECK_SOURCE,
                checked_for=at.isoformat(),
                allowed=False,
                reasons=["invalid_number"],
                why="not a plain dial string (digits with an optional leading +)",
            )
            return Prechecked(None, ("invalid_number",))
        # The decision's audit row and the attempt commit together: an allowed manual dial is
        # always an attempt, and a concurrent call to the same person sees it (call_in_progress).
        with store.transaction():
            verdict = gate.check(
                store,
                campaign,
                raw,
                at,
                self.language,
                source=PRECHECK_SOURCE,
                region=self.region,
            )
            if not verdict.decision.allowed or verdict.number is None:
                return Prechecked(verdict.number, tuple(verdict.decision.codes))
            campaign_id = campaigns.campaign_id(store, campaign.name)
            assert campaign_id is not None  # read in this transaction
            attempt = manual_dials.start(store, campaign_id, verdict.number, channel, at)
        return Prechecked(verdict.number, (), attempt, campaign.caller_id)

    async def _block(self, request: AgiRequest, codes: list[str]) -> None:
        await request.set_variable(v.REASONS, ",".join(codes))
        await request.set_variable(v.PROMPTS, prompts_for(codes))
        await request.set_variable(v.DECISION, "block")

    # --- outcome (hangup handler) ------------------------------------------------------------
    async def outcome(self, request: AgiRequest) -> None:
        args = request.args
        try:
            attempt = int(args[0]) if args else 0
        except ValueError:
            attempt = 0
        if attempt <= 0:
            logger.warning("outcome route: no attempt id in %r", args[:1])
            return
        status = args[1] if len(args) > 1 else ""
        outcome = await self.worker.run(manual_dials.finish, self.store, attempt, status)
        if outcome is None:
            logger.warning("outcome route: attempt %d is not an open manual dial", attempt)
        else:
            logger.info("manual dial attempt %d ended: %s (%s)", attempt, outcome, status or "-")

    # --- opt-out -----------------------------------------------------------------------------
    def _number(self, raw: str) -> str | None:
        try:
            return normalize(raw, self.region)
        except InvalidNumber:
            return None

    async def optout(self, request: AgiRequest) -> None:
        args = request.args
        raw = args[0] if args and args[0] else request.headers.get("agi_callerid", "")
        number = self._number(raw)
        await request.set_variable(v.NUMBER_MASKED, masked(number or raw))
        if number is None:
            logger.warning("opt-out route: no usable number (%s)", masked(raw))
            await request.set_variable(v.OPTED_OUT, "no")
            return
        await self._optout_menu(request, number, "konform/optout", "fastagi optout")

    async def _optout_menu(
        self, request: AgiRequest, number: str, prompt: str, source: str
    ) -> bool:
        """Play the menu; on 9 opt out and confirm once committed. True if the caller chose
        to opt out (committed, or blocked in memory while its commit is retried)."""
        result = await request.send_command(f"GET DATA {prompt} {self.optout_wait_ms} 1")
        digits = str(result.get("result", ("", ""))[0])
        if digits != "9":
            await request.set_variable(v.OPTED_OUT, "no")
            return False
        if await self._commit_optout(number, source):
            await request.set_variable(v.OPTED_OUT, "yes")
            await request.send_command('STREAM FILE konform/optout-confirmed ""')
        else:  # blocked in memory, not durable yet: promise nothing (Art. 21 (3) GDPR)
            await request.set_variable(v.OPTED_OUT, "pending")
            await request.send_command('STREAM FILE konform/goodbye ""')
        return True

    async def _commit_optout(self, number: str, source: str) -> bool:
        """True once the objection is committed; a failed commit is retried by OptOuts, and
        waited for here a few seconds before the caller is let go without a confirmation."""
        if await self.optouts.take(number, source):
            return True
        unsaved = self.store.unsaved_objections
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.optout_confirm_wait_s
        # The set is shared with the store's retry of failed commits, which has no event to await.
        while number in unsaved and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return number not in unsaved

    # --- callback line -----------------------------------------------------------------------
    async def callback(self, request: AgiRequest) -> None:
        dialled = self._number(
            request.headers.get("agi_extension", "") or request.headers.get("agi_dnid", "")
        )
        caller = self._number(request.headers.get("agi_callerid", ""))
        owned = await self.worker.run(self._callback_store, dialled, caller)
        await request.set_variable(v.NUMBER_MASKED, masked(caller))
        if not owned:
            await request.set_variable(v.ROUTE, "unknown")
            return
        await request.send_command("ANSWER")
        await request.send_command('STREAM FILE konform/callback-intro ""')
        if caller is not None and await self._optout_menu(
            request, caller, "konform/callback-optout", "fastagi callback"
        ):
            await request.set_variable(v.ROUTE, "done")
            return
        await request.set_variable(v.ROUTE, "agents")

    def _callback_store(self, dialled: str | None, caller: str | None) -> bool:
        """Whether the dialled number is one of ours; the call audited (worker's thread)."""
        owned = dialled is not None and callerids.is_owned(self.store, dialled)
        audit.record(
            self.store,
            "callback",
            number=caller,
            source="fastagi callback",
            dialled=dialled,
            owned=owned,
        )
        return owned
