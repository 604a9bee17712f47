"""``GET /metrics``: Prometheus figures read from the store at each scrape (prometheus-client's
text format, from a custom collector; nothing is counted in memory, so a restart loses nothing
and every process reading the same store agrees). The counters and histograms add the tallies
of what retention and erasure took from the rows (:mod:`konform.store.tallies`), so they never go
down; the gauges count what is there now.

Open to loopback clients, or to others with ``Authorization: Bearer <[web] metrics_token>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from konform.config_checks import is_loopback
from konform.store import console, report
from konform.store.database import Store
from konform_web.app import ADDRESS, CONSOLE, error

__all__ = ["StoreCollector", "add_routes", "figures"]


def figures(store: Store, agents: tuple[str, ...]) -> dict[str, Any]:
    """What a scrape exports, read in one go on the store's thread."""
    counts = console.counters(store)
    by_state = dict.fromkeys(report.AGENT_STATES, 0)
    for state, _ in report.agents_now(store, agents).values():
        by_state[state] = by_state.get(state, 0) + 1
    counts["agents"] = by_state
    return counts


def _histogram(
    name: str, documentation: str, buckets: tuple[float, ...], data: Any
) -> HistogramMetricFamily:
    cumulative, _count, total = data
    bounds = [*(repr(b) for b in buckets), "+Inf"]
    return HistogramMetricFamily(
        name,
        documentation,
        buckets=list(zip(bounds, cumulative, strict=True)),
        sum_value=total,
    )


class StoreCollector(Collector):
    """The konform_* metrics of one scrape's figures."""

    def __init__(self, counts: dict[str, Any]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[Metric]:
        c = self.counts
        calls = CounterMetricFamily(
            "konform_calls", "Call attempts by outcome", labels=["campaign", "outcome"]
        )
        for campaign, outcome, n in c["calls"]:
            calls.add_metric([campaign, outcome], n)
        yield calls
        abandoned = CounterMetricFamily(
            "konform_abandoned", "People answered and no agent in time", labels=["campaign"]
        )
        for campaign, n in c["abandoned"]:
            abandoned.add_metric([campaign], n)
        yield abandoned
        blocks = CounterMetricFamily(
            "konform_policy_blocks",
            "Calls the policy blocked, by reason",
            labels=["campaign", "reason"],
        )
        for campaign, reason, n in c["blocks"]:
            blocks.add_metric([campaign, str(reason)], n)
        yield blocks
        machines = CounterMetricFamily(
            "konform_machines",
            "Mailboxes reached, by the AMD stage that caught them: first, guard (over our"
            " prompt) or agent (after the bridge: the detector's misses)",
            labels=["campaign", "stage"],
        )
        for campaign, stage, n in c["machines"]:
            machines.add_metric([campaign, stage], n)
        yield machines
        optouts = CounterMetricFamily("konform_optouts", "Opt-outs by source", labels=["source"])
        for source, n in c["optouts"]:
            optouts.add_metric([str(source)], n)
        yield optouts
        agents = GaugeMetricFamily("konform_agents", "Agents by state", labels=["state"])
        for state, n in sorted(c["agents"].items()):
            agents.add_metric([state], n)
        yield agents
        lines = GaugeMetricFamily(
            "konform_lines_in_flight", "Calls in progress", labels=["campaign"]
        )
        for campaign, n in c["in_flight"]:
            lines.add_metric([campaign], n)
        yield lines
        yield _histogram(
            "konform_amd_decision_seconds",
            "Seconds from the answer to the AMD verdict",
            console.AMD_BUCKETS,
            c["amd"],
        )
        yield _histogram(
            "konform_call_setup_seconds",
            "Seconds from dialling to the answer",
            console.SETUP_BUCKETS,
            c["setup"],
        )


def _authorized(request: web.Request, token: str) -> bool:
    if is_loopback(request.get(ADDRESS) or ""):
        return True
    if not token:
        return False
    sent = request.headers.get("Authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


async def metrics(request: web.Request) -> web.StreamResponse:
    c = request.app[CONSOLE]
    if not _authorized(request, c.config.web.metrics_token):
        raise error(401, "metrics: loopback only, or Authorization: Bearer <[web] metrics_token>")
    counts = await c.worker.run(figures, c.store, tuple(c.config.dialer.agent_list))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(counts))
    response = web.Response(body=generate_latest(registry))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)
