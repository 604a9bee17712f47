"""The FastAGI routes: the same gate and the same opt-out as the dialer, for plain dialplan.

- ``precheck,<campaign>`` before an agent's ``Dial``: the dialled number is ``agi_extension``.
  Sets ``KONFORM_DECISION`` (allow/block), ``KONFORM_REASONS`` (comma-separated codes) and
  ``KONFORM_PROMPTS`` (what the agent hears when blocked); when allowed, also the campaign's
  number as ``CALLERID(num)`` with presentation allowed, whatever the phone sent.
- ``optout[,<number>]``: the opt-out menu; 9 puts the number on the internal objection list
  and erases its data (committed before the confirmation plays).
- ``callback``: the line behind every displayed number: who called, the opt-out, then agents
  (``KONFORM_ROUTE=agents``) or nothing (``KONFORM_ROUTE=unknown`` for numbers not owned).
Every variable name lives in :mod:`agi.variables`, shared with the dialplan and the tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from agi import variables as v
from agi.server import AgiRequest, KonformAgi
from konform import gate
from konform.numbers import InvalidNumber, normalize
from konform.reasons import Language
from konform.store import audit, callerids, campaigns
from konform.store.database import Store
from konform.store.objection import opt_out

__all__ = ["KonformRoutes", "prompts_for"]

logger = logging.getLogger(__name__)

# What an agent hears when the gate blocks: the first matching prompt per reason group.
REASON_PROMPTS = (
    ({"invalid_number"}, "konform/blocked-invalid"),
    ({"dnc_internal", "robinson"}, "konform/blocked-dnc"),
    ({"no_consent", "consent_unconfirmed", "consent_revoked", "consent_purpose_mismatch",
      "customer_relationship_expired"}, "konform/blocked-consent"),
    ({"sunday", "public_holiday", "outside_hours"}, "konform/blocked-time"),
    ({"caller_id_not_owned"}, "konform/blocked-callerid"),
    ({"attempts_exhausted", "retry_too_soon"}, "konform/blocked-attempts"),
)  # fmt: skip


def prompts_for(codes: list[str]) -> str:
    """``Playback`` argument for a blocked call: the general prompt, then one per reason."""
    names = ["konform/blocked"]
    names += [prompt for group, prompt in REASON_PROMPTS if group & set(codes)]
    return "&".join(names)


class KonformRoutes:
    def __init__(
        self,
        store: Store,
        language: Language = "de",
        region: str = "DE",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        optout_wait_ms: int = 6000,
    ) -> None:
        self.store = store
        self.language = language
        self.region = region
        self.clock = clock
        self.optout_wait_ms = optout_wait_ms

    def install(self, app: KonformAgi) -> None:
        app.add_route("precheck", self.precheck)
        app.add_route("optout", self.optout)
        app.add_route("callback", self.callback)

    # --- precheck ----------------------------------------------------------------------------
    async def precheck(self, request: AgiRequest) -> None:
        args = request.args
        number = request.headers.get("agi_extension", "")
        name = args[0] if args else ""
        campaign = campaigns.get(self.store, name) if name else None
        if campaign is None:
            audit.record(
                self.store,
                "precheck_refused",
                campaign=name or None,
                source="fastagi",
                why="unknown campaign",
            )
            await self._block(request, ["unknown_campaign"])
            return
        verdict = gate.check(
            self.store,
            campaign,
            number,
            self.clock(),
            self.language,
            source="fastagi precheck",
            region=self.region,
        )
        if not verdict.decision.allowed:
            await self._block(request, list(verdict.decision.codes))
            return
        await request.set_variable("CALLERID(num)", campaign.caller_id)
        await request.set_variable("CALLERID(pres)", "allowed_not_screened")
        await request.set_variable(v.REASONS, "")
        await request.set_variable(v.PROMPTS, "")
        await request.set_variable(v.DECISION, "allow")

    async def _block(self, request: AgiRequest, codes: list[str]) -> None:
        await request.set_variable(v.REASONS, ",".join(codes))
        await request.set_variable(v.PROMPTS, prompts_for(codes))
        await request.set_variable(v.DECISION, "block")

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
        if number is None:
            logger.warning("opt-out route: no usable number (%r)", raw)
            await request.set_variable(v.OPTED_OUT, "no")
            return
        await self._optout_menu(request, number, "konform/optout", "fastagi optout")

    async def _optout_menu(
        self, request: AgiRequest, number: str, prompt: str, source: str
    ) -> bool:
        """Play the menu; on 9 opt out (committed) and confirm. True if opted out."""
        result = await request.send_command(f"GET DATA {prompt} {self.optout_wait_ms} 1")
        digits = str(result.get("result", ("", ""))[0])
        if digits != "9":
            await request.set_variable(v.OPTED_OUT, "no")
            return False
        opt_out(self.store, number, source=source)  # committed before the confirmation
        await request.set_variable(v.OPTED_OUT, "yes")
        await request.send_command('STREAM FILE konform/optout-confirmed ""')
        return True

    # --- callback line -----------------------------------------------------------------------
    async def callback(self, request: AgiRequest) -> None:
        dialled = self._number(
            request.headers.get("agi_extension", "") or request.headers.get("agi_dnid", "")
        )
        caller = self._number(request.headers.get("agi_callerid", ""))
        owned = dialled is not None and callerids.is_owned(self.store, dialled)
        audit.record(
            self.store,
            "callback",
            number=caller,
            source="fastagi callback",
            dialled=dialled,
            owned=owned,
        )
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
