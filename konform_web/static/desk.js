// The agent desk: the agent's state (ready / pause), and the call konform bridged to the
// agent's phone (GET /api/desk, polled every second): contact, campaign, client, recording,
// the script as a checklist, the contact's history, opt-out, "mailbox" (the detector took a
// mailbox for a person: the call ends with nothing more played into it), disposition, note,
// wrap-up.
// When the call ends before the wrap-up, the desk keeps it on screen until the agent wraps up
// (or a new call comes), so a half-written note is not lost.
"use strict";

(async () => {
  const { h, t } = K;
  const POLL_MS = 1000;
  let desk = null; // the last answer of /api/desk
  let shown = null; // the call on screen (may have ended)
  let ticked = new Set(); // script points ticked for the call on screen
  let optedOut = false;

  const me = await K.start({ roles: ["agent"] });

  async function setState(state) {
    K.say("presence-message", "", "info");
    try {
      await K.api("POST", `/api/agents/${encodeURIComponent(me.agent || me.user)}/state`, { state });
      await poll();
    } catch (err) {
      K.say("presence-message", err.message, "error");
    }
  }
  document.getElementById("ready").addEventListener("click", () => setState("ready"));
  document.getElementById("pause").addEventListener("click", () => setState("paused"));

  function renderState() {
    const state = desk ? desk.state : null;
    const el = document.getElementById("my-state");
    el.textContent = state ? t("state." + state) : "–";
    el.dataset.value = state || "";
    el.className = `state state-${state}`;
    document.getElementById("ready").setAttribute("aria-pressed", String(state === "ready"));
    document.getElementById("pause").setAttribute("aria-pressed", String(state === "paused"));
  }

  function fill(id, text) {
    document.getElementById(id).textContent = text === null || text === undefined || text === "" ? "–" : text;
  }

  function renderScript() {
    const points = (shown && shown.script) || [];
    const list = document.getElementById("script-points");
    list.replaceChildren(
      ...points.map((point, i) => {
        const id = `point-${i}`;
        const box = h("input", { type: "checkbox", id, "data-point": String(i) });
        box.checked = ticked.has(i);
        box.addEventListener("change", () => {
          if (box.checked) {
            ticked.add(i);
          } else {
            ticked.delete(i);
          }
          renderProgress();
        });
        return h("li", { class: ticked.has(i) ? "done" : "" }, box, h("label", { for: id, text: point }));
      }),
    );
    renderProgress();
  }

  function renderProgress() {
    const points = (shown && shown.script) || [];
    const done = points.filter((_, i) => ticked.has(i)).length;
    const all = done === points.length;
    K.say(
      "script-progress",
      points.length ? t("desk.script_progress", { done, all: points.length }) : t("desk.script_none"),
      all ? "ok" : "attention",
    );
    document.querySelectorAll("#script-points li").forEach((li, i) => {
      li.className = ticked.has(i) ? "done" : "";
    });
  }

  function renderHistory() {
    const rows = (shown && shown.history) || [];
    document.querySelector("#history tbody").replaceChildren(
      ...(rows.length
        ? rows.map((r) =>
            h(
              "tr",
              {},
              h("td", { text: K.time(r.at) }),
              h("td", { text: r.campaign || "–" }),
              h("td", { text: r.outcome ? t("outcome." + r.outcome) : "–" }),
              h("td", { text: r.disposition ? t("disposition." + r.disposition) : "–" }),
              h("td", { class: "note-text", text: r.note || "–" }),
              h("td", { text: r.agent || "–" }),
            ),
          )
        : [h("tr", {}, h("td", { colspan: "6", class: "empty", text: t("desk.history_none") }))]),
    );
  }

  function renderDispositions() {
    const select = document.getElementById("disposition");
    const chosen = select.value;
    select.replaceChildren(
      h("option", { value: "", text: t("desk.choose") }),
      ...((desk && desk.dispositions) || []).map((d) => h("option", { value: d, text: t("disposition." + d) === "disposition." + d ? d : t("disposition." + d) })),
    );
    select.value = chosen;
  }

  function renderCall() {
    const call = document.getElementById("call");
    const none = document.getElementById("no-call");
    call.hidden = !shown;
    none.hidden = Boolean(shown);
    if (!shown) {
      return;
    }
    call.dataset.attempt = String(shown.attempt);
    const contact = shown.contact || {};
    fill("contact-name", contact.name);
    fill("contact-number", contact.number);
    fill("contact-region", contact.region);
    fill("call-campaign", shown.campaign);
    fill("call-client", shown.client);
    const rec = document.getElementById("recording");
    rec.textContent = shown.recording ? t("desk.recording_on") : t("desk.recording_off");
    rec.dataset.value = String(Boolean(shown.recording));
    rec.className = shown.recording ? "rec-on" : "rec-off";
    // The callee's consent (key 1); the recording may start a moment after it.
    const consent = document.getElementById("recording-consent");
    const given = Boolean(shown.recording_consent || shown.recording);
    consent.textContent = given ? t("desk.consent_yes") : t("desk.consent_no");
    consent.dataset.value = String(given);
    const live = desk && desk.call && desk.call.attempt === shown.attempt;
    document.getElementById("call-ended").hidden = Boolean(live);
    document.getElementById("optout-now").disabled = optedOut;
    document.getElementById("optout-menu").disabled = optedOut || !live;
    document.getElementById("mailbox").disabled = !live;
    renderScript();
    renderHistory();
  }

  let drawn = ""; // what the page shows now: redrawn only when something changed, so an open
  // drop-down, the focus and the ticks stay put between polls

  function render(force) {
    const key = K.lang + JSON.stringify([desk, shown, optedOut]);
    if (key === drawn && !force) {
      return;
    }
    drawn = key;
    renderState();
    renderDispositions();
    renderCall();
  }

  async function poll() {
    try {
      desk = await K.api("GET", "/api/desk");
    } catch (err) {
      K.say("presence-message", err.message, "error");
      return;
    }
    const current = desk.call;
    if (current && (!shown || current.attempt !== shown.attempt)) {
      // A new call: a fresh checklist, form and messages.
      shown = current;
      ticked = new Set();
      optedOut = false;
      document.getElementById("wrapup-form").reset();
      for (const id of ["optout-message", "mailbox-message", "wrapup-message"]) {
        K.say(id, "", "info");
      }
    } else if (current) {
      shown = current;
    }
    render();
  }

  async function onCall(path, button, messageId, pendingKey) {
    const attempt = shown.attempt;
    button.disabled = true;
    K.say(messageId, t(pendingKey), "info");
    try {
      return await K.api("POST", path, { attempt });
    } catch (err) {
      K.say(messageId, t("desk.failed", { error: err.message }), "error");
      button.disabled = false;
      return null;
    }
  }

  document.getElementById("optout-now").addEventListener("click", async (event) => {
    const answer = await onCall("/api/desk/optout", event.currentTarget, "optout-message", "desk.optout_pending");
    if (answer && answer.done === true) {
      // Only now: the server committed list + erasure + audit before answering done.
      optedOut = true;
      K.say("optout-message", t("desk.optout_done"), "ok");
      render();
    } else if (answer) {
      K.say("optout-message", t("desk.failed", { error: JSON.stringify(answer) }), "error");
      event.currentTarget.disabled = false;
    }
  });

  document.getElementById("optout-menu").addEventListener("click", async (event) => {
    const answer = await onCall("/api/desk/optout-menu", event.currentTarget, "optout-message", "desk.menu_pending");
    if (answer && answer.queued === true) {
      K.say("optout-message", t("desk.menu_queued"), "ok");
    }
  });

  document.getElementById("mailbox").addEventListener("click", async (event) => {
    const answer = await onCall("/api/desk/mailbox", event.currentTarget, "mailbox-message", "desk.mailbox_pending");
    if (answer && answer.queued === true) {
      K.say("mailbox-message", t("desk.mailbox_queued"), "ok");
    }
  });

  document.getElementById("wrapup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const disposition = form.disposition.value;
    if (!disposition) {
      K.say("wrapup-message", t("desk.choose_disposition"), "error");
      form.disposition.focus();
      return;
    }
    const points = shown.script || [];
    const missing = points.length - points.filter((_, i) => ticked.has(i)).length;
    const button = document.getElementById("wrapup");
    button.disabled = true;
    try {
      const answer = await K.api("POST", "/api/desk/wrapup", {
        attempt: shown.attempt,
        disposition,
        note: form.note.value,
      });
      if (answer && answer.done === true) {
        let line = missing ? t("desk.wrapped_missing", { missing }) : t("desk.wrapped");
        if (answer.kept === false) {
          // The number was erased (opt-out): nothing about the person is kept, not the note.
          line = t("desk.wrapped_erased");
        }
        K.say("wrapup-message", line, "ok");
        K.say("presence-message", line, missing ? "attention" : "ok");
        if (!desk.call || desk.call.attempt !== shown.attempt) {
          shown = null;
        }
        form.reset();
        render(true);
      }
    } catch (err) {
      K.say("wrapup-message", t("desk.failed", { error: err.message }), "error");
    } finally {
      button.disabled = false;
    }
  });

  K.onLang(() => render(true));
  await poll();
  setInterval(poll, POLL_MS);
})();
