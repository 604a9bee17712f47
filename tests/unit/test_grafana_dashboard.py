"""docker/grafana/konform-dashboard.json: valid JSON Grafana can import, every metric of
``konform web``'s /metrics that the wallboard shows is on it, and no query names a metric that
does not exist (a typo would show an empty panel, not an error)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "docker" / "grafana" / "konform-dashboard.json"

# The metric names of issue 17 (konform_web's /metrics); histograms are queried as *_bucket.
METRICS = {
    "konform_calls_total",
    "konform_abandoned_total",
    "konform_policy_blocks_total",
    "konform_optouts_total",
    "konform_agents",
    "konform_lines_in_flight",
    "konform_amd_decision_seconds",
    "konform_call_setup_seconds",
}


def _dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def _queries(board: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    exprs += [v["definition"] for v in board["templating"]["list"] if "definition" in v]
    return exprs


def test_dashboard_is_an_importable_grafana_dashboard() -> None:
    board = _dashboard()
    assert board["uid"] == "konform-wallboard"
    assert board["title"]
    assert isinstance(board["schemaVersion"], int)
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]
    assert [i["name"] for i in board["__inputs"]] == ["DS_PROMETHEUS"]


def test_every_wallboard_metric_is_shown() -> None:
    used = {
        re.sub(r"_bucket$", "", name)
        for expr in _queries(_dashboard())
        for name in re.findall(r"\bkonform_[a-z_]+", expr)
    }
    assert used == METRICS


def test_abandon_panels_mark_the_three_percent_target() -> None:
    panels = [p for p in _dashboard()["panels"] if "Abandon rate" in p["title"]]
    assert len(panels) == 3
    for panel in panels:
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert {"color": "red", "value": 0.03} in steps, panel["title"]
