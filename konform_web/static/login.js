// The login page: POST /api/login, then the page the user came from (?next=, same site only)
// or the role's start page. Wrong password (401) and lockout (429) show the server's line.
"use strict";

(async () => {
  await K.start({ open: true });
  const form = document.getElementById("login-form");
  const button = document.getElementById("login-button");

  function nextPage(role) {
    const next = new URLSearchParams(location.search).get("next") || "";
    // Only a path on this site: "/x", never "//host" or "https://…".
    if (/^\/[^/\\]/.test(next)) {
      return next;
    }
    return `${K.home(role)}?lang=${K.lang}`;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      K.say("login-error", K.t("login.missing"), "error");
      return;
    }
    button.disabled = true;
    K.say("login-error", "", "info");
    try {
      const me = await K.api("POST", "/api/login", { username, password });
      K.setCsrf(me.csrf);
      location.href = nextPage(me.role);
    } catch (err) {
      const key = err.status === 401 ? "login.wrong" : err.status === 429 ? "login.locked" : null;
      K.say("login-error", key ? K.t(key) : err.message, "error");
      form.password.value = "";
      button.disabled = false;
    }
  });
})();
