// The recording form (templates/record.html): shows the fields of the chosen statement type,
// keeps the recorder's token for the browser session, posts the statement to the JSON API and
// shows the API's problem+json errors next to the fields they name. The API is the one judge
// of what is valid: nothing is checked here. Plain JavaScript, no build step.
(function () {
  "use strict";

  const form = document.getElementById("record-form");
  if (!form) return;
  const TOKEN_KEY = "ntrack.recorder-token";
  // What the person keeps between statements; the rest is particular to one statement.
  const KEPT_AFTER_RECORDING = /^(party|occurred_at|speaker|reported_by|attribution|claimed_by|addressee|with_parties|sources|also_concerns)(\.|$)/;
  const typeSelect = document.getElementById("f-type");
  const typeHint = document.getElementById("f-type-hint");
  const submit = document.getElementById("record-submit");
  const summaryBox = document.getElementById("form-errors");
  const done = document.getElementById("record-done");
  const panel = document.getElementById("panel");
  const token = {
    input: document.getElementById("token"),
    ask: document.getElementById("token-ask"),
    kept: document.getElementById("token-kept"),
    error: document.getElementById("token-error"),
    forget: document.getElementById("token-forget"),
  };
  let attempt = null; // {payload, key}: the same body sent again reuses its Idempotency-Key

  const fields = () => Array.from(form.querySelectorAll(".field[data-loc]"));
  const controlOf = (field) => field.querySelector("[data-widget]");
  const words = (text) => (text || "").split(" ").filter(Boolean);

  // -- the chosen type's fields ------------------------------------------------------------

  function showType() {
    const type = typeSelect.value;
    typeHint.textContent = typeSelect.selectedOptions[0].dataset.description;
    for (const field of fields()) {
      const types = words(field.dataset.types);
      const shown = types.length === 0 || types.includes(type);
      const control = controlOf(field);
      field.hidden = !shown;
      control.disabled = !shown; // kept as typed, but not sent while hidden
      const required = words(field.dataset.requiredFor).includes(type);
      const marker = field.querySelector(".required");
      if (marker) marker.hidden = !required;
      if (required) control.setAttribute("aria-required", "true");
      else control.removeAttribute("aria-required");
    }
  }

  // -- the token, kept for the browser session -----------------------------------------------

  function keptToken() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function showToken() {
    const kept = Boolean(keptToken());
    token.ask.hidden = kept;
    token.kept.hidden = !kept;
  }

  function askToken(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    showToken();
    token.error.textContent = message || "";
    token.error.hidden = !message;
    if (message) token.input.setAttribute("aria-invalid", "true");
    token.input.focus();
  }

  function takeToken() {
    const typed = token.input.value.trim();
    if (typed) {
      sessionStorage.setItem(TOKEN_KEY, typed);
      token.input.value = "";
      token.input.removeAttribute("aria-invalid");
      token.error.hidden = true;
      showToken();
    }
    return keptToken();
  }

  // -- the request body, from the shown controls ---------------------------------------------

  function valueOf(control) {
    switch (control.dataset.widget) {
      case "checkbox":
        return control.checked ? true : undefined; // unchecked: the API's default, false
      case "multiselect": {
        const chosen = Array.from(control.selectedOptions, (option) => option.value);
        return chosen.length ? chosen : undefined;
      }
      case "lines": {
        const lines = control.value.split("\n").map((line) => line.trim()).filter(Boolean);
        return lines.length ? lines : undefined;
      }
      default: {
        const text = control.value.trim();
        return text === "" ? undefined : text;
      }
    }
  }

  function put(body, loc, value) {
    const parts = loc.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part));
    let here = body;
    parts.slice(0, -1).forEach((part, i) => {
      if (here[part] === undefined) here[part] = typeof parts[i + 1] === "number" ? [] : {};
      here = here[part];
    });
    here[parts[parts.length - 1]] = value;
  }

  function statementBody() {
    const body = { type: typeSelect.value };
    for (const field of fields()) {
      if (field.hidden) continue;
      const value = valueOf(controlOf(field));
      if (value !== undefined) put(body, field.dataset.loc, value);
    }
    return body;
  }

  function idempotencyKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // also where crypto.randomUUID is not (plain http)
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // -- problems, next to their fields ----------------------------------------------------------

  function clearErrors() {
    summaryBox.hidden = true;
    summaryBox.replaceChildren();
    for (const field of fields()) {
      const control = controlOf(field);
      const message = field.querySelector(".error");
      control.removeAttribute("aria-invalid");
      message.hidden = true;
      message.textContent = "";
      const hint = field.querySelector(".hint");
      if (hint) control.setAttribute("aria-describedby", hint.id);
      else control.removeAttribute("aria-describedby");
    }
  }

  // A problem's `loc`: ["body", <type>, "speaker", "name"] from the schema, or
  // [<where>, <field>] from a rule of the record. The field is the shown control whose loc is
  // the longest start of it, or else the first shown control inside it ("sources.0").
  function fieldFor(loc) {
    let path = loc.map(String);
    if (path[0] === "body") path = path.slice(1);
    if (path[0] === typeSelect.value) path = path.slice(1);
    const shown = fields().filter((field) => !field.hidden);
    let best = null;
    let bestLength = 0;
    for (const field of shown) {
      const parts = field.dataset.loc.split(".");
      const starts = parts.length <= path.length && parts.every((part, i) => part === path[i]);
      if (starts && parts.length > bestLength) [best, bestLength] = [field, parts.length];
    }
    if (best || path.length === 0) return best;
    const inside = path.join(".") + ".";
    return shown.find((field) => field.dataset.loc.startsWith(inside)) || null;
  }

  function markField(field, message) {
    const control = controlOf(field);
    const box = field.querySelector(".error");
    box.textContent = box.textContent ? `${box.textContent} ${message}` : message;
    box.hidden = false;
    control.setAttribute("aria-invalid", "true");
    const hint = field.querySelector(".hint");
    control.setAttribute("aria-describedby", hint ? `${box.id} ${hint.id}` : box.id);
  }

  function showProblem(problem, status) {
    const general = [];
    for (const error of problem.errors || []) {
      const field = fieldFor(error.loc || []);
      const message = String(error.msg || "").replace(/^Value error, /, "");
      if (field) markField(field, message);
      else general.push(message);
    }
    const first = fields().find((field) => controlOf(field).hasAttribute("aria-invalid"));
    const heading = document.createElement("p");
    heading.textContent = `Not recorded: ${problem.title || `HTTP ${status}`}. ${
      first ? "Correct the fields marked below." : problem.detail || ""
    }`;
    summaryBox.replaceChildren(heading);
    if (general.length) {
      const list = document.createElement("ul");
      for (const message of general) {
        const item = document.createElement("li");
        item.textContent = message;
        list.append(item);
      }
      summaryBox.append(list);
    }
    summaryBox.hidden = false;
    (first ? controlOf(first) : summaryBox).focus();
  }

  // -- after a write ----------------------------------------------------------------------------

  async function refreshPanel(position) {
    const url = `${form.dataset.panel}?min_position=${encodeURIComponent(position)}`;
    for (let tries = 0; tries < 3; tries += 1) {
      const answer = await fetch(url, { headers: { Accept: "text/html" } });
      if (answer.redirected) break; // sent to sign in: the page's sign-in is no longer valid
      if (answer.ok) {
        panel.innerHTML = await answer.text();
        refreshReferences();
        return;
      }
      if (answer.status !== 503) break; // 503: the read model has not caught up yet
    }
    done.append(" The board will show it after a reload.");
  }

  function refreshReferences() {
    const options = panel.querySelector("#reference-options");
    for (const select of form.querySelectorAll("select[data-kind=ref]")) {
      const chosen = select.value;
      const none = select.options[0];
      select.replaceChildren(none, ...options.content.cloneNode(true).children);
      select.value = chosen;
    }
  }

  function recorded(statement) {
    attempt = null;
    const link = document.createElement("a");
    link.href = form.dataset.statement + encodeURIComponent(statement.id);
    link.textContent = "Open its page";
    done.replaceChildren(`Recorded: ${statement.summary} `, link, ".");
    for (const field of fields()) {
      if (KEPT_AFTER_RECORDING.test(field.dataset.loc)) continue;
      const control = controlOf(field);
      if (control.type === "checkbox") control.checked = false;
      else if (control.multiple) Array.from(control.options).forEach((o) => (o.selected = false));
      else control.value = "";
    }
    return refreshPanel(statement.position);
  }

  async function record(event) {
    event.preventDefault();
    clearErrors();
    done.replaceChildren();
    const secret = takeToken();
    if (!secret) {
      askToken("Enter your recorder token to record.");
      return;
    }
    const payload = JSON.stringify(statementBody());
    if (!attempt || attempt.payload !== payload) attempt = { payload, key: idempotencyKey() };
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const answer = await fetch(form.dataset.action, {
        method: "POST",
        credentials: "omit", // the API takes the bearer token only
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          Authorization: `Bearer ${secret}`,
          "Idempotency-Key": attempt.key,
        },
        body: payload,
      });
      const body = await answer.json().catch(() => ({}));
      if (answer.status === 201) await recorded(body);
      else if (answer.status === 401 || answer.status === 403) askToken(body.detail);
      else showProblem(body, answer.status);
    } catch (error) {
      showProblem({ title: "The service could not be reached", detail: "Try again." }, 0);
    } finally {
      submit.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  typeSelect.addEventListener("change", showType);
  token.forget.addEventListener("click", () => askToken(""));
  form.addEventListener("submit", record);
  showType();
  showToken();
  submit.disabled = false; // without this script, the form cannot record (see <noscript>)
})();
