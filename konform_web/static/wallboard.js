// The wallboard: the first picture from GET /api/wallboard, then every update from the
// server-sent events of /api/wallboard/stream (at least one every 2 s), drawn without a reload.
// Every figure keeps the server's raw value in data-value next to its formatted text, so a
// test compares it with `konform report --json` exactly.
"use strict";

(async () => {
  const { h, t, num, pct, seconds } = K;
  const STALE_MS = 6000; // three missed updates: say so on the board
  let last = null;
  let lastAt = 0;

  await K.start({ roles: ["supervisor", "admin", "dpo"] });

  function raw(value) {
    return value === null || value === undefined ? "" : JSON.stringify(value);
  }

  /** One figure: label, big value (formatted), raw value in data-value; optional note. */
  function fig(field, label, value, text, extra) {
    const opts = extra || {};
    return h(
      "div",
      { class: `fig ${opts.kind || ""}`.trim(), "data-field": field },
      h("dt", { text: label }),
      h("dd", { class: "value", "data-value": raw(value) }, text),
      opts.note ? h("dd", { class: "note", text: opts.note }) : null,
    );
  }

  /** ok / over: the abandon rate against the campaign's target (§ 7 UWG aside, Ofcom 3 %). */
  function against(rate, target) {
    if (rate === null || rate === undefined) {
      return "";
    }
    return rate > target ? "over" : "ok";
  }

  function campaignCard(c) {
    const target = c.abandon_target;
    const missed = c.missed || {};
    const csat = c.csat || {};
    const targetNote = t("wallboard.target", { target: pct(target) });
    const status = c.paused ? t("campaign.paused") : t("campaign.running");
    return h(
      "article",
      {
        class: `card campaign${c.paused ? " paused" : ""}`,
        "data-campaign": c.campaign,
        "aria-label": t("wallboard.campaign_label", { name: c.campaign }),
      },
      h(
        "header",
        { class: "campaign-head" },
        h("h3", { text: c.campaign }),
        h("span", { class: "badge", "data-field": "paused", "data-value": raw(c.paused) }, status),
        h("span", { class: "pacing", text: `${t("campaign.pacing")}: ${t("pacing." + c.pacing)}` }),
      ),
      h(
        "dl",
        { class: "figures" },
        fig("attempts", t("fig.calls"), c.attempts, num(c.attempts)),
        fig("answer_rate", t("fig.answer_rate"), c.answer_rate, pct(c.answer_rate)),
        fig(
          "avg_time_to_answer_s",
          t("fig.time_to_answer"),
          c.avg_time_to_answer_s,
          seconds(c.avg_time_to_answer_s),
        ),
        fig("abandon_rate_hour", t("fig.abandon_hour"), c.abandon_rate_hour, pct(c.abandon_rate_hour), {
          kind: against(c.abandon_rate_hour, target),
          note: targetNote,
        }),
        fig("abandon_rate_24h", t("fig.abandon_24h"), c.abandon_rate_24h, pct(c.abandon_rate_24h), {
          kind: against(c.abandon_rate_24h, target),
          note: targetNote,
        }),
        fig("people_waiting", t("fig.waiting"), c.people_waiting, num(c.people_waiting), {
          kind: c.people_waiting > 0 ? "attention" : "",
        }),
        fig("lines_in_flight", t("fig.in_flight"), c.lines_in_flight, num(c.lines_in_flight)),
        fig("machine_rate", t("fig.machine_rate"), c.machine_rate, pct(c.machine_rate)),
        // Mailboxes the detector took for people, marked by the agents who heard them.
        fig("mailboxes_missed", t("fig.mailboxes_missed"), c.mailboxes_missed, num(c.mailboxes_missed), {
          kind: c.mailboxes_missed > 0 ? "attention" : "",
        }),
        fig("missed.no_answer", t("fig.no_answer"), missed.no_answer, num(missed.no_answer)),
        fig("missed.abandoned", t("fig.abandoned"), missed.abandoned, num(missed.abandoned)),
        fig(
          "missed.hung_up_waiting",
          t("fig.hung_up_waiting"),
          missed.hung_up_waiting,
          num(missed.hung_up_waiting),
        ),
        fig("csat.avg", t("fig.csat"), csat.avg, csat.avg === null ? "–" : num(csat.avg, 1), {
          note: t("fig.csat_count", { count: num(csat.count || 0) }),
        }),
      ),
      h(
        "div",
        { class: "charts" },
        h(
          "figure",
          {},
          KChart.bars(c.calls_per_15min || [], chartSummary(c.calls_per_15min, "calls", num)),
          h("figcaption", { text: caption("chart.calls_15min", {}, c.calls_per_15min, "calls") }),
        ),
        h(
          "figure",
          {},
          KChart.rateLine(
            c.abandon_rate_by_hour || [],
            target,
            chartSummary(c.abandon_rate_by_hour, "rate", pct),
          ),
          h("figcaption", {
            text: caption("chart.abandon_day", { target: pct(target) }, c.abandon_rate_by_hour, "rate"),
          }),
        ),
      ),
    );
  }

  /** A chart's caption; says so when the chart has nothing to draw (no calls in its period). */
  function caption(key, vars, points, field) {
    const drawn = (points || []).some((p) => p[field] !== null && p[field] !== undefined && p[field] !== 0);
    return drawn ? t(key, vars) : `${t(key, vars)} – ${t("chart.empty")}`;
  }

  function chartSummary(points, key, format) {
    const list = (points || []).map((p) => `${K.clock(p.at)}: ${format(p[key])}`);
    return list.length ? list.join(", ") : t("chart.empty");
  }

  function agentRow(a) {
    const csat = a.csat || {};
    return h(
      "tr",
      { "data-agent": a.name },
      h("th", { scope: "row", text: a.name }),
      h("td", {}, K.agentState(a.state)),
      h("td", { class: "n", "data-field": "calls", "data-value": raw(a.calls), text: num(a.calls) }),
      h("td", { class: "n", "data-field": "answered", "data-value": raw(a.answered), text: num(a.answered) }),
      h("td", { class: "n", "data-field": "avg_talk_s", "data-value": raw(a.avg_talk_s), text: seconds(a.avg_talk_s) }),
      h(
        "td",
        { class: "n", "data-field": "csat.avg", "data-value": raw(csat.avg) },
        K.rating(csat),
      ),
    );
  }

  let drawn = ""; // what the page shows now: redrawn only when a figure changed

  function render() {
    if (!last) {
      return;
    }
    const board = last;
    const key = K.lang + JSON.stringify({ ...board, at: null });
    if (key === drawn) {
      showLive();
      return;
    }
    drawn = key;
    const list = document.getElementById("campaigns");
    list.replaceChildren(
      ...(board.campaigns.length
        ? board.campaigns.map(campaignCard)
        : [h("p", { class: "empty", text: t("wallboard.no_campaigns") })]),
    );
    const states = document.getElementById("agents-by-state");
    states.replaceChildren(
      ...["ready", "in_call", "wrap_up", "paused", "logged_out"].map((s) =>
        h(
          "div",
          { class: `fig state-${s}`, "data-field": `agents_by_state.${s}` },
          h("dt", { text: t("state." + s) }),
          h("dd", { class: "value", "data-value": raw((board.agents_by_state || {})[s] || 0) }, num((board.agents_by_state || {})[s] || 0)),
        ),
      ),
    );
    document.querySelector("#agents-table tbody").replaceChildren(...(board.agents || []).map(agentRow));
    const compliance = board.compliance || { blocked_today: {}, optouts_today: 0 };
    const optouts = document.getElementById("optouts-today");
    optouts.textContent = num(compliance.optouts_today);
    optouts.dataset.value = raw(compliance.optouts_today);
    const blocked = Object.entries(compliance.blocked_today || {}).sort((a, b) => b[1] - a[1]);
    document.querySelector("#blocked-table tbody").replaceChildren(
      ...(blocked.length
        ? blocked.map(([reason, n]) =>
            h(
              "tr",
              { "data-reason": reason },
              h("th", { scope: "row", text: t("reason." + reason) === "reason." + reason ? reason : t("reason." + reason) }),
              h("td", { class: "n", "data-value": raw(n), text: num(n) }),
            ),
          )
        : [h("tr", {}, h("td", { colspan: "2", class: "empty", text: t("compliance.none") }))]),
    );
    showLive();
  }

  function showLive() {
    if (!last) {
      return;
    }
    const fresh = Date.now() - lastAt < STALE_MS;
    const live = document.getElementById("live");
    live.textContent = fresh
      ? t("wallboard.live", { at: K.clock(last.at) })
      : t("wallboard.stale", { at: K.clock(last.at) });
    live.dataset.kind = fresh ? "ok" : "error";
    live.dataset.at = last.at;
  }

  function take(board) {
    last = board;
    lastAt = Date.now();
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    render();
  }

  K.onLang(render);
  take(await K.api("GET", "/api/wallboard"));

  const stream = new EventSource("/api/wallboard/stream");
  stream.addEventListener("wallboard", (event) => take(JSON.parse(event.data)));
  stream.addEventListener("error", async () => {
    showLive();
    if (stream.readyState === EventSource.CLOSED) {
      // The server refused the stream (session gone?): /api/me sends us to the login page.
      await K.api("GET", "/api/me").catch(() => {});
      setTimeout(() => location.reload(), 5000);
    }
  });
  setInterval(showLive, 1000);
})();
