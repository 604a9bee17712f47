// Shared by every page of the konform web console: the language (German/English from ?lang=,
// then the last choice, then the browser), the JSON API with the session's CSRF token, the
// login check (/api/me; 401 -> the login page), the header (user, language switch, log-out),
// and a small DOM builder that only ever sets text (no HTML from data: no injection).
"use strict";

const K = (() => {
  const LANGS = ["de", "en"];
  let dict = {};
  let lang = "en";
  let csrf = "";
  let me = null;
  const renderers = [];

  function pickLang() {
    const asked = new URLSearchParams(location.search).get("lang");
    if (LANGS.includes(asked)) {
      return asked;
    }
    const kept = localStorage.getItem("konform.lang");
    if (LANGS.includes(kept)) {
      return kept;
    }
    const browser = (navigator.languages || [navigator.language || "en"])
      .map((l) => String(l).slice(0, 2).toLowerCase())
      .find((l) => LANGS.includes(l));
    return browser || "en";
  }

  async function loadDict(wanted) {
    const answer = await fetch(`/static/i18n/${wanted}.json`, { credentials: "same-origin" });
    if (!answer.ok) {
      throw new Error(`i18n ${wanted}: HTTP ${answer.status}`);
    }
    dict = await answer.json();
    lang = wanted;
    document.documentElement.lang = lang;
  }

  /** The text of ``key`` in the page's language; {name} placeholders filled from ``vars``. */
  function t(key, vars) {
    let text = Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : key;
    if (vars) {
      for (const [name, value] of Object.entries(vars)) {
        text = text.split(`{${name}}`).join(String(value));
      }
    }
    return text;
  }

  /** Fills the static texts: data-i18n (text), data-i18n-label (aria-label),
   * data-i18n-placeholder, data-i18n-title. */
  function applyStatic(root) {
    const scope = root || document;
    scope.querySelectorAll("[data-i18n]").forEach((el) => {
      el.textContent = t(el.dataset.i18n);
    });
    scope.querySelectorAll("[data-i18n-label]").forEach((el) => {
      el.setAttribute("aria-label", t(el.dataset.i18nLabel));
    });
    scope.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
      el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
    });
    scope.querySelectorAll("[data-i18n-title]").forEach((el) => {
      el.setAttribute("title", t(el.dataset.i18nTitle));
    });
  }

  async function setLang(wanted) {
    await loadDict(wanted);
    localStorage.setItem("konform.lang", wanted);
    const url = new URL(location.href);
    url.searchParams.set("lang", wanted);
    history.replaceState(null, "", url);
    applyStatic();
    document.querySelectorAll("[data-lang-choice]").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.langChoice === lang));
    });
    renderers.forEach((fn) => fn());
  }

  /** Registers a function that redraws the page's dynamic parts (after a language switch). */
  function onLang(fn) {
    renderers.push(fn);
  }

  /** Builds an element: attrs (class, text, data-*, aria-*, on*), then child nodes or strings. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) {
        continue;
      }
      if (name === "text") {
        el.textContent = String(value);
      } else if (name.startsWith("on") && typeof value === "function") {
        el.addEventListener(name.slice(2), value);
      } else {
        el.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) {
        el.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return el;
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /** Calls the JSON API; a change sends the CSRF token. 401 -> the login page (except on
   * /api/login); any other error -> ApiError with the server's one-line message. */
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      if (csrf) {
        headers["X-CSRF-Token"] = csrf;
      }
    }
    const answer = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await answer.json();
    } catch (_) {
      data = null;
    }
    if (answer.status === 401 && path !== "/api/login") {
      toLogin();
      throw new ApiError(401, t("error.session"));
    }
    if (!answer.ok) {
      const message = data && data.error ? data.error : `HTTP ${answer.status}`;
      throw new ApiError(answer.status, message);
    }
    return data;
  }

  function toLogin() {
    const next = location.pathname + location.search;
    location.href = `/?next=${encodeURIComponent(next)}`;
  }

  /** The page a role starts on after the login. */
  function home(role) {
    return role === "agent" ? "/desk" : "/wallboard";
  }

  function langSwitch() {
    const group = h("div", { class: "lang", role: "group", "data-i18n-label": "lang.switch" });
    for (const code of LANGS) {
      group.append(
        h("button", {
          type: "button",
          class: "lang-choice",
          "data-lang-choice": code,
          "aria-pressed": String(code === lang),
          lang: code,
          text: code === "de" ? "Deutsch" : "English",
          onclick: () => setLang(code),
        }),
      );
    }
    return group;
  }

  /** The header's right side: page links for the role, the user, the language, log-out. */
  function fillHeader() {
    const slot = document.getElementById("session");
    if (!slot) {
      return;
    }
    slot.replaceChildren();
    if (me) {
      const links = h("nav", { class: "pages", "data-i18n-label": "nav.pages" });
      const pages = me.role === "agent" ? [["/desk", "nav.desk"]] : [
        ["/wallboard", "nav.wallboard"],
        ["/supervisor", "nav.supervisor"],
      ];
      for (const [href, key] of pages) {
        const here = location.pathname === href;
        links.append(
          h("a", { href: `${href}?lang=${lang}`, "data-i18n": key, "aria-current": here ? "page" : null }),
        );
      }
      slot.append(links);
      slot.append(h("span", { class: "who", id: "who" }, `${me.user} (${t("role." + me.role)})`));
    }
    slot.append(langSwitch());
    if (me) {
      slot.append(
        h("button", { type: "button", id: "logout", "data-i18n": "nav.logout", onclick: logout }),
      );
    }
    applyStatic(slot);
  }

  async function logout() {
    try {
      await api("POST", "/api/logout", {});
    } finally {
      location.href = `/?lang=${lang}`;
    }
  }

  /** Starts a page: language, then (unless ``open``) the login check; returns /api/me's answer.
   * ``roles``: who may use the page; anyone else sees the refused panel. */
  async function start({ open = false, roles = null } = {}) {
    await loadDict(pickLang());
    applyStatic();
    onLang(fillHeader);
    if (!open) {
      const answer = await fetch("/api/me", { credentials: "same-origin" });
      if (answer.status === 401) {
        toLogin();
        return new Promise(() => {}); // the browser is leaving
      }
      if (!answer.ok) {
        throw new ApiError(answer.status, `HTTP ${answer.status}`);
      }
      me = await answer.json();
      csrf = me.csrf || "";
    }
    fillHeader();
    if (me && roles && !roles.includes(me.role)) {
      refused();
      return new Promise(() => {});
    }
    return me;
  }

  /** Replaces the page's main part by a "not allowed for your role" panel. */
  function refused() {
    const main = document.querySelector("main");
    main.replaceChildren(
      h(
        "section",
        { class: "refused", role: "alert", id: "refused" },
        h("h2", { "data-i18n": "refused.title" }),
        h("p", { "data-i18n": "refused.text" }),
        h("a", { href: `${home(me.role)}?lang=${lang}`, "data-i18n": "refused.home" }),
      ),
    );
    applyStatic(main);
  }

  function setCsrf(token) {
    csrf = token || "";
  }

  function num(value, digits) {
    if (value === null || value === undefined) {
      return "–";
    }
    return new Intl.NumberFormat(lang, {
      maximumFractionDigits: digits === undefined ? 0 : digits,
      minimumFractionDigits: digits === undefined ? 0 : digits,
    }).format(value);
  }

  /** A fraction (0.031) as a percentage ("3.1 %"); "–" when nothing was measured. */
  function pct(value, digits) {
    if (value === null || value === undefined) {
      return "–";
    }
    return new Intl.NumberFormat(lang, {
      style: "percent",
      maximumFractionDigits: digits === undefined ? 1 : digits,
      minimumFractionDigits: digits === undefined ? 1 : digits,
    }).format(value);
  }

  function seconds(value) {
    if (value === null || value === undefined) {
      return "–";
    }
    return `${num(value, 1)} s`;
  }

  function time(iso) {
    if (!iso) {
      return "–";
    }
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) {
      return String(iso);
    }
    return at.toLocaleString(lang, { dateStyle: "short", timeStyle: "medium" });
  }

  function clock(iso) {
    if (!iso) {
      return "–";
    }
    const at = new Date(iso);
    return Number.isNaN(at.getTime()) ? String(iso) : at.toLocaleTimeString(lang);
  }

  /** An agent's state as the coloured badge the wallboard and the supervisor show. */
  function agentState(state) {
    return h("span", { class: `state state-${state}`, "data-value": state }, t("state." + state));
  }

  /** The satisfaction rating as "average (count)"; "–" while nobody rated. */
  function rating(csat) {
    const c = csat || {};
    return c.avg === null || c.avg === undefined ? "–" : `${num(c.avg, 1)} (${num(c.count || 0)})`;
  }

  /** Shows a one-line message in a live region (role=status or alert). */
  function say(id, text, kind) {
    const el = document.getElementById(id);
    if (el) {
      el.textContent = text;
      el.dataset.kind = kind || "info";
    }
  }

  return {
    agentState,
    ApiError,
    api,
    clock,
    get lang() {
      return lang;
    },
    get me() {
      return me;
    },
    h,
    home,
    num,
    onLang,
    pct,
    rating,
    applyStatic,
    say,
    seconds,
    setCsrf,
    setLang,
    start,
    t,
    time,
  };
})();
