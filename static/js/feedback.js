// The anonymous feedback form: questions from the agenda, a draft kept across reloads.
import { el, loadJSON, store } from "./dom.js";
import { t } from "./i18n.js";

const ANONYMITY = t("Your answers are stored without your name or any link to you. Results are only shown as a group, once at least 5 people have answered. The facilitator sees only how many people answered.");

/**
 * Build the form; `send(answers)` resolves with the server's acknowledgement and `say(text)` speaks
 * through the page's one live region. Errors are tied to their fields (aria-invalid, aria-describedby)
 * and go away as soon as the answer is given.
 */
export function feedbackForm({ step, draftKey, send, say = () => {} }) {
  const questions = step.questions || [];
  const draft = loadJSON(draftKey, {}) || {};
  const form = el("form", { class: "stack feedback-form", novalidate: true });
  const fields = questions.map((q, i) => question(q, i, draft[q.id]));
  const status = el("p", { class: "notice error", id: "feedback-status", hidden: true });
  const submit = el("button", {
    type: "submit", class: "button block", dataset: { focus: "send-feedback" }, "aria-describedby": "feedback-status",
  }, t("Send my feedback"));

  form.append(
    el("div", { class: "anonymity" },
      el("h2", { class: "small-title" }, t("What anonymous means here")),
      el("p", {}, ANONYMITY)),
    ...fields.map((f) => f.node),
    el("p", { class: "muted small" }, t("Questions marked “required” need an answer; the others are up to you.")),
    status,
    submit,
  );

  const saveDraft = () => {
    const values = {};
    fields.forEach((f) => { const v = f.read(); if (v !== undefined) values[f.q.id] = v; });
    store(draftKey, values);
  };
  const recheck = (event) => {
    const field = fields.find((f) => f.node.contains(event.target));
    if (field && field.invalid() && !field.missing()) field.showError("");
    if (!fields.some((f) => f.invalid())) status.hidden = true;
  };
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("input", recheck);
  form.addEventListener("change", recheck);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submit.getAttribute("aria-disabled") === "true") return;
    status.hidden = true;
    const answers = {};
    let firstMissing = null;
    for (const f of fields) {
      const value = f.read();
      const missing = f.missing();
      f.showError(missing ? t("Please answer this question.") : "");
      if (missing && !firstMissing) firstMissing = f;
      if (value !== undefined && !(Array.isArray(value) && !value.length)) answers[f.q.id] = value;
    }
    if (firstMissing) {
      status.textContent = t("A required question still needs an answer.");
      status.hidden = false;
      firstMissing.focus();
      return;
    }
    // Busy without `disabled`, so that focus stays on the button while the answer is on its way.
    submit.setAttribute("aria-disabled", "true");
    submit.textContent = t("Sending…");
    const ack = await send(answers);
    submit.removeAttribute("aria-disabled");
    submit.textContent = t("Send my feedback");
    if (!ack.ok) {
      status.textContent = ack.error || t("Your feedback could not be sent. Please try again.");
      status.hidden = false;
      say(status.textContent);
    } else {
      store(draftKey, null);
    }
  });
  return form;
}

function question(q, index, saved) {
  const id = `q${index}`;
  const errorId = `${id}-error`;
  const error = el("p", { class: "field-error", id: errorId, hidden: true });
  const required = q.required ? el("span", { class: "required" }, ` ${t("(required)")}`) : null;
  let control;
  let read;
  let focus;
  let inputs = [];
  let node;
  if (q.type === "scale" || q.type === "single" || q.type === "multiple") {
    const multiple = q.type === "multiple";
    const options = q.type === "scale"
      ? (q.labels || []).map((label, i) => ({ value: i + 1, label, number: i + 1 }))
      : (q.options || []).map((option) => ({ value: option, label: option }));
    const items = options.map((opt, i) => {
      const input = el("input", {
        type: multiple ? "checkbox" : "radio", name: id, value: String(opt.value), id: `${id}-${i}`,
        "aria-describedby": errorId,
      });
      input.checked = multiple ? Array.isArray(saved) && saved.includes(opt.value) : saved === opt.value;
      inputs.push(input);
      return el("label", { class: q.type === "scale" ? "scale-option" : "choice", for: `${id}-${i}` }, input,
        opt.number ? el("span", { class: "scale-number" }, String(opt.number)) : null,
        el("span", { class: q.type === "scale" ? "scale-label" : "" }, opt.label || (opt.number ? "" : String(opt.value))));
    });
    control = el("div", { class: q.type === "scale" ? "scale" : "options" }, items);
    read = () => {
      const picked = inputs.filter((i) => i.checked).map((i) => (q.type === "scale" ? Number(i.value) : i.value));
      if (multiple) return picked.length ? picked : undefined;
      return picked.length ? picked[0] : undefined;
    };
    focus = () => (inputs.find((i) => i.checked) || inputs[0]).focus();
    node = el("fieldset", { class: "question" },
      el("legend", { class: "question-text" }, q.text, required), control, error);
  } else {
    const max = q.max_length || 1000;
    const counter = el("p", { class: "counter", id: `${id}-count` }, t("{count} / {limit}", { count: 0, limit: max }));
    const area = el("textarea", {
      id: `${id}-text`, name: id, rows: 4, maxlength: String(max), "aria-describedby": `${id}-count ${errorId}`,
    });
    area.value = typeof saved === "string" ? saved : "";
    const count = () => { counter.textContent = t("{count} / {limit}", { count: [...area.value].length, limit: max }); };
    area.addEventListener("input", count);
    count();
    inputs = [area];
    read = () => (area.value.trim() ? area.value : undefined);
    focus = () => area.focus();
    // One label, not a fieldset's legend as well: the question's name is read once.
    node = el("div", { class: "question stack-sm" },
      el("label", { class: "question-text", for: `${id}-text` }, q.text, required), area, counter, error);
  }
  return {
    q, node, read, focus,
    missing() {
      const value = read();
      return Boolean(q.required && (value === undefined || (Array.isArray(value) && !value.length)));
    },
    invalid() {
      return node.classList.contains("invalid");
    },
    showError(text) {
      error.textContent = text;
      error.hidden = !text;
      node.classList.toggle("invalid", Boolean(text));
      inputs.forEach((input) => {
        if (text) input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      });
    },
  };
}
