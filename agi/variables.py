"""Every dialplan variable konform's FastAGI routes set, in one place: the routes, the
dialplan (dialplan/pbx/extensions.conf) and the tests all use these names."""

from __future__ import annotations

DECISION = "KONFORM_DECISION"
"""``allow`` or ``block`` (precheck); empty if the AGI did not run: the dialplan fails closed."""
REASONS = "KONFORM_REASONS"
"""Comma-separated reason codes of a blocked call (empty when allowed)."""
PROMPTS = "KONFORM_PROMPTS"
"""``Playback`` argument telling the agent why a call is blocked."""
OPTED_OUT = "KONFORM_OPTED_OUT"
"""``yes`` or ``no`` after the opt-out menu; ``pending`` when the objection is blocked in
memory but its commit is still being retried (no confirmation was played)."""
ROUTE = "KONFORM_ROUTE"
"""Where the callback line goes next: ``agents``, ``done`` or ``unknown``."""
CAMPAIGN = "KONFORM_CAMPAIGN"
"""Set on each agent endpoint (pjsip ``set_var``): the campaign an agent calls for."""
NUMBER = "KONFORM_NUMBER"
"""The number the gate judged, normalised to E.164 (precheck, when allowed): the dialplan
dials exactly this, never the raw ``${EXTEN}``."""
NUMBER_MASKED = "KONFORM_NUMBER_MASKED"
"""The number in the masked form logs may show (``+49…67``): the only form ``Log()`` lines
print (precheck, optout, callback)."""
ATTEMPT = "KONFORM_ATTEMPT"
"""The id of the call attempt an allowed manual dial opened (precheck); the hangup handler
hands it to the ``outcome`` route with ``${DIALSTATUS}``."""
