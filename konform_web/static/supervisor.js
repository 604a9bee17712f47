// The supervisor's page: campaigns (pause / resume, pacing, ratio, abandon target, weight),
// the live calls and the agents with their states; polled every 2 s. A campaign row being
// edited is not redrawn until it is saved or the edit is cancelled (Escape).
"use strict";

(async () => {
  const { h, t, num } = K;
  const POLL_MS = 2000;
  let campaigns = [];
  let calls = [];
  let agents = [];
  const editing = new Set();

  const me = await K.start({ roles: ["supervisor", "admin", "dpo"] });
  const canChange = me.role === "supervisor" || me.role === "admin";

  function campaignRow(c) {
    const name = c.name;
    const label = (key) => t(key) + " – " + name;
    const pacing = h(
      "select",
      { name: "pacing", "aria-label": label("campaign.pacing"), disabled: !canChange },
      ...["progressive", "predictive"].map((p) => h("option", { value: p, text: t("pacing." + p) })),
    );
    pacing.value = c.pacing;
    const input = (field, value, attrs) =>
      h("input", {
        name: field,
        type: "number",
        value: String(value),
        "aria-label": label("campaign." + field),
        disabled: !canChange,
        ...attrs,
      });
    const ratio = input("ratio", c.ratio, { min: "0.1", max: "10", step: "0.1" });
    const target = input("abandon_target", +(c.abandon_target * 100).toFixed(2), { min: "0", max: "3", step: "0.1" });
    const weight = input("weight", c.weight, { min: "0.1", step: "0.1" });
    for (const field of [pacing, ratio, target, weight]) {
      field.addEventListener("input", () => editing.add(name));
      field.addEventListener("keydown", (e) => {
        if (e.key === "Escape") {
          editing.delete(name);
          renderCampaigns();
        }
      });
    }
    const save = h("button", {
      type: "button",
      class: "save",
      text: t("campaign.save"),
      "aria-label": label("campaign.save"),
      disabled: !canChange,
      onclick: () =>
        change(name, "pacing", {
          pacing: pacing.value,
          ratio: Number(ratio.value),
          abandon_target: Number(target.value) / 100,
          weight: Number(weight.value),
        }),
    });
    const toggle = h("button", {
      type: "button",
      class: c.paused ? "resume" : "pause danger",
      text: t(c.paused ? "campaign.resume" : "campaign.pause"),
      "aria-label": label(c.paused ? "campaign.resume" : "campaign.pause"),
      disabled: !canChange,
      onclick: () => change(name, c.paused ? "resume" : "pause"),
    });
    return h(
      "tr",
      { "data-campaign": name, "data-paused": String(c.paused) },
      h("th", { scope: "row", text: name }),
      h("td", { text: c.client || "–" }),
      h("td", {}, h("span", { class: c.paused ? "badge paused" : "badge running", "data-field": "paused", "data-value": String(c.paused) }, t(c.paused ? "campaign.paused" : "campaign.running"))),
      h("td", {}, pacing),
      h("td", {}, ratio),
      h("td", {}, target),
      h("td", {}, weight),
      h("td", { class: "buttons" }, toggle, save),
    );
  }

  async function change(name, action, body) {
    try {
      const answer = await K.api("POST", `/api/campaigns/${encodeURIComponent(name)}/${action}`, body || {});
      editing.delete(name);
      const done = action === "pacing" ? "supervisor.saved" : answer.paused ? "supervisor.paused" : "supervisor.resumed";
      K.say("supervisor-message", t(done, { name }), "ok");
      await poll();
    } catch (err) {
      K.say("supervisor-message", t("supervisor.failed", { name, error: err.message }), "error");
    }
  }

  async function setAgent(name, state) {
    try {
      await K.api("POST", `/api/agents/${encodeURIComponent(name)}/state`, { state });
      await poll();
    } catch (err) {
      K.say("supervisor-message", t("supervisor.failed", { name, error: err.message }), "error");
    }
  }

  function renderCampaigns() {
    const body = document.querySelector("#campaigns-table tbody");
    const keep = new Map([...body.querySelectorAll("tr[data-campaign]")].map((tr) => [tr.dataset.campaign, tr]));
    body.replaceChildren(
      ...campaigns.map((c) => {
        const key = K.lang + JSON.stringify(c);
        const old = keep.get(c.name);
        // An unchanged row (or one being edited) stays: focus and typed values are kept.
        if (old && (editing.has(c.name) || old.dataset.key === key)) {
          return old;
        }
        const row = campaignRow(c);
        row.dataset.key = key;
        return row;
      }),
    );
  }

  function renderCalls() {
    document.querySelector("#live-calls tbody").replaceChildren(
      ...(calls.length
        ? calls.map((c) =>
            h(
              "tr",
              { "data-attempt": String(c.attempt) },
              h("td", { text: c.campaign }),
              h("td", { text: c.number }),
              h("td", { text: t("call." + c.state) === "call." + c.state ? c.state : t("call." + c.state) }),
              h("td", { text: c.agent || "–" }),
              h("td", { text: K.clock(c.started_at) }),
              h("td", { text: K.clock(c.answered_at) }),
              h("td", { text: K.clock(c.bridged_at) }),
            ),
          )
        : [h("tr", {}, h("td", { colspan: "7", class: "empty", text: t("supervisor.no_calls") }))]),
    );
  }

  function renderAgents() {
    document.querySelector("#agents tbody").replaceChildren(
      ...agents.map((a) => {
        return h(
          "tr",
          { "data-agent": a.name },
          h("th", { scope: "row", text: a.name }),
          h("td", {}, K.agentState(a.state)),
          h("td", { text: K.clock(a.since) }),
          h("td", { class: "n", text: num(a.calls_today) }),
          h("td", { class: "n", text: K.seconds(a.talk_s_today) }),
          h("td", { class: "n", text: K.rating(a.csat) }),
          h(
            "td",
            { class: "buttons" },
            canChange && a.state !== "paused" && a.state !== "logged_out"
              ? h("button", { type: "button", text: t("desk.pause"), "aria-label": `${t("desk.pause")} – ${a.name}`, onclick: () => setAgent(a.name, "paused") })
              : null,
            canChange && a.state !== "logged_out"
              ? h("button", { type: "button", text: t("agent.log_out"), "aria-label": `${t("agent.log_out")} – ${a.name}`, onclick: () => setAgent(a.name, "logged_out") })
              : null,
          ),
        );
      }),
    );
  }

  let drawn = "";

  function render(force) {
    renderCampaigns();
    const key = K.lang + JSON.stringify([calls, agents]);
    if (key !== drawn || force) {
      drawn = key;
      renderCalls();
      renderAgents();
    }
  }

  async function poll() {
    try {
      [campaigns, calls, agents] = await Promise.all([
        K.api("GET", "/api/campaigns"),
        K.api("GET", "/api/calls/live"),
        K.api("GET", "/api/agents"),
      ]);
      render();
      document.body.dataset.polled = String(Number(document.body.dataset.polled || 0) + 1);
    } catch (err) {
      K.say("supervisor-message", err.message, "error");
    }
  }

  K.onLang(() => {
    editing.clear();
    render(true);
  });
  await poll();
  setInterval(poll, POLL_MS);
})();
