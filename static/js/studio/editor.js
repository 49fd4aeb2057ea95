// The studio's form: the agenda's own fields, then one card per step, each with the fields of its kind.
import { el } from "../dom.js";
import { field } from "./fields.js";
import { KINDS, QUESTION_TYPES, SPEAKERS } from "./model.js";

const ODD = [["triad", "Make one group of three"], ["facilitator", "I will be their partner"]];

function hidden(text) {
  return el("span", { class: "visually-hidden" }, text);
}

/** A small toolbar of Move up / Move down / Remove, kept in the tab order and named for what it moves. */
function tools(what, name, index, count, extra = {}) {
  const button = (action, label, disabled) => el("button", {
    type: "button", class: "button button-quiet small", dataset: { action, index: String(index), focus: `${action}:${extra.prefix || ""}${index}`, ...extra.data },
    "aria-disabled": disabled ? "true" : null,
  }, label, el("span", { class: "visually-hidden", dataset: { toolName: what } }, ` ${name}`));
  return el("div", { class: "item-tools", role: "group", "aria-label": `${what} ${index + 1}` },
    button(`${what}-up`, "Move up", index === 0),
    button(`${what}-down`, "Move down", index === count - 1),
    button(`${what}-remove`, "Remove", count === 1 && what !== "question"));
}

export function renderEditor(source, { readOnly = false } = {}) {
  const steps = source.steps || [];
  const form = el("fieldset", { class: "editor stack", disabled: readOnly },
    el("legend", { class: "visually-hidden" }, "The agenda"),
    el("section", { class: "card stack agenda-fields", "aria-labelledby": "agenda-fields-title" },
      el("h2", { id: "agenda-fields-title" }, "About this workshop"),
      field({ path: "title", kind: "text", label: "Name of the workshop", value: source.title, max: 80,
        help: "Everyone sees it at the top of their phone. Short and warm works best." }),
      field({ path: "summary", kind: "textarea", label: "One line about it", value: source.summary, optional: true,
        rows: 2, help: "Optional. Shown to whoever starts a workshop from this agenda." }),
      field({ path: "minutes", kind: "number", label: "Planned length, in minutes", value: source.minutes, min: 1,
        max: 600, step: 1, help: "Optional. The whole workshop, arrivals and goodbyes included." }),
      field({ path: "odd", kind: "select", label: "If one person is left without a partner", value: source.odd || "triad",
        options: ODD, help: "A group of three takes turns the same way; or you pair up with them yourself." })),
    el("h2", { id: "steps-title" }, "Steps"),
    el("p", { class: "muted" }, "The workshop moves through these in order. Move them with the buttons, or drag a card by its handle."),
    el("ol", { class: "studio-steps stack", role: "list", "aria-labelledby": "steps-title" },
      steps.map((step, i) => stepCard(step, i, steps.length))),
    addStep());
  return form;
}

function addStep() {
  const select = el("select", { id: "new-step-kind", "aria-describedby": "new-step-hint" },
    Object.entries(KINDS).map(([kind, { label }]) => el("option", { value: kind }, label)));
  return el("div", { class: "card add-step stack-sm" },
    el("label", { for: "new-step-kind" }, "Add a step"),
    el("p", { class: "hint", id: "new-step-hint" }, "It goes at the end; move it where you like afterwards."),
    el("div", { class: "row" }, select,
      el("button", { type: "button", class: "button", dataset: { action: "step-add", focus: "step-add" } }, "Add step")));
}

function stepCard(step, i, count) {
  const kind = KINDS[step.kind] ? step.kind : "message";
  const label = KINDS[kind].label;
  const path = `steps[${i + 1}]`;
  const name = `step ${i + 1}: ${step.title || label}`;
  return el("li", { class: "card step-card stack", dataset: { index: String(i), kind } },
    el("div", { class: "step-head" },
      el("span", { class: "drag-handle", draggable: "true", title: "Drag to move this step", "aria-hidden": "true", dataset: { drag: String(i) } }, "⠿"),
      el("div", { class: "stack-sm grow" },
        el("h3", { class: "step-title", id: `step-${i + 1}-heading` }, `Step ${i + 1} · ${label}`),
        el("p", { class: "muted small" }, KINDS[kind].help)),
      tools("step", name, i, count)),
    el("p", { class: "field-error", id: `step-${i + 1}-error`, dataset: { stepError: String(i + 1) }, hidden: true }),
    field({ path: `${path}.title`, kind: "text", label: "Title", value: step.title, max: 80,
      help: "A few words; every phone shows them as the heading." }),
    field({ path: `${path}.text`, kind: "textarea", value: step.text, optional: kind !== "message",
      label: kind === "message" ? "Message" : "Words on the phones",
      help: kind === "message" ? "What everyone reads during this pause." : "Optional. Leave a blank line between paragraphs." }),
    kind === "round" ? null : field({ path: `${path}.minutes`, kind: "number", label: "Timer, in minutes", value: step.minutes,
      min: 0.25, max: 120, step: 0.25, optional: true, help: "Optional. Leave it empty for no countdown on this step." }),
    kindFields(step, kind, path));
}

function kindFields(step, kind, path) {
  if (kind === "agreements") {
    return field({ path: `${path}.items`, kind: "lines", label: "Agreements, one per line", value: step.items,
      help: "Up to 12 short sentences everyone can say yes to." });
  }
  if (kind === "pairing") {
    return field({ path: `${path}.odd`, kind: "select", label: "If one person is left without a partner", value: step.odd,
      options: [["", "As the workshop is set"], ...ODD], help: "Leave it as the workshop is set unless this step is different." });
  }
  if (kind === "round") return roundFields(step, path);
  if (kind === "feedback") return questionsFields(step, path);
  return null;
}

function roundFields(step, path) {
  const turns = step.turns || [];
  const cues = step.cues || {};
  return [
    field({ path: `${path}.prompts`, kind: "lines", label: "Questions, one per line", value: step.prompts, rows: 5,
      help: "Open questions that invite a story, not a yes or no. With two or more, each pair gets one of them." }),
    field({ path: `${path}.draw`, kind: "checkbox", label: "Pairs may draw another question",
      value: step.draw ?? (step.prompts || []).length > 1,
      help: "Needs at least two questions. Lets a pair swap a question that does not fit." }),
    field({ path: `${path}.pairing`, kind: "select", label: "Partners", value: step.pairing || "new",
      options: [["new", "New partners for this round"], ["keep", "Keep the partners from before"]],
      help: "New partners widen the circle; keeping them lets a conversation deepen." }),
    el("fieldset", { class: "turns stack-sm" },
      el("legend", {}, "Turns"),
      el("p", { class: "hint" }, "Who speaks, and for how long. A group of three also gets a turn for its third person."),
      el("div", { class: "field-error", id: `${path.replace(/\W+/g, "-")}turns-error`, dataset: { listError: `${path}.turns` }, hidden: true }),
      el("ol", { class: "stack-sm", role: "list" }, turns.map((turn, t) => turnRow(turn, t, turns.length, path))),
      el("button", { type: "button", class: "button secondary small", dataset: { action: "turn-add", step: path, focus: `turn-add:${path}` } },
        "Add a turn", hidden(` to ${step.title || "this round"}`))),
    el("details", { class: "quiet stack-sm" },
      el("summary", {}, "Cues on the phones"),
      ["speak", "listen", "both"].map((cue) => field({ path: `${path}.cues.${cue}`, kind: "text", value: cues[cue], optional: true,
        label: { speak: "For whoever speaks", listen: "For whoever listens", both: "When both talk" }[cue], max: 200,
        help: "Optional: a gentle line under the role. Empty keeps the usual words." }))),
    field({ path: `${path}.reflection`, kind: "textarea", label: "Something to reflect on at the end", value: step.reflection,
      optional: true, help: "Optional. Shown when the turns are over, for the pair to talk about together." }),
  ];
}

function turnRow(turn, t, count, path) {
  const at = `${path}.turns[${t + 1}]`;
  return el("li", { class: "turn-row", dataset: { at } },
    el("p", { class: "small-title" }, `Turn ${t + 1}`),
    el("div", { class: "row wrap" },
      field({ path: `${at}.speaker`, kind: "select", label: "Who speaks", value: turn.speaker,
        options: Object.entries(SPEAKERS) }),
      field({ path: `${at}.minutes`, kind: "number", label: "Minutes", value: turn.minutes, min: 0.25, max: 60, step: 0.25 }),
      field({ path: `${at}.title`, kind: "text", label: "Title on the phones", value: turn.title, optional: true, max: 60,
        help: "Optional." })),
    tools("turn", `turn ${t + 1}`, t, count, { prefix: `${path}/`, data: { step: path } }));
}

function questionsFields(step, path) {
  const questions = step.questions || [];
  return el("fieldset", { class: "questions stack-sm" },
    el("legend", {}, "Questions"),
    el("p", { class: "hint" }, "Answers are anonymous and shown only as a group, once enough people have answered."),
    el("ol", { class: "stack", role: "list" }, questions.map((q, n) => questionCard(q, n, questions.length, path))),
    el("div", { class: "row wrap" },
      el("label", { for: `${path}-new-type`.replace(/\W+/g, "-") }, "New question:"),
      el("select", { id: `${path}-new-type`.replace(/\W+/g, "-"), dataset: { newType: path } },
        Object.entries(QUESTION_TYPES).map(([type, label]) => el("option", { value: type }, label))),
      el("button", { type: "button", class: "button secondary small", dataset: { action: "question-add", step: path, focus: `question-add:${path}` } },
        "Add a question")));
}

function questionCard(q, n, count, path) {
  const at = `${path}.questions[${n + 1}]`;
  const type = QUESTION_TYPES[q.type] ? q.type : "text";
  const specific = {
    scale: () => field({ path: `${at}.labels`, kind: "lines", label: "Five labels, one per line", value: q.labels, optional: true,
      rows: 5, help: "Optional: from 1 to 5. Empty keeps “Not at all” to “Very much”." }),
    single: () => field({ path: `${at}.options`, kind: "lines", label: "Options, one per line", value: q.options,
      help: "From 2 to 12 options." }),
    multiple: () => field({ path: `${at}.options`, kind: "lines", label: "Options, one per line", value: q.options,
      help: "From 2 to 12 options; people tick any number." }),
    text: () => field({ path: `${at}.max_length`, kind: "number", label: "Longest answer, in characters", value: q.max_length,
      optional: true, min: 1, max: 2000, step: 1, help: "Optional: 1,000 unless you say otherwise." }),
  }[type];
  return el("li", { class: "question-card stack-sm", dataset: { at } },
    el("p", { class: "small-title" }, `Question ${n + 1}`),
    field({ path: `${at}.text`, kind: "text", label: "Question", value: q.text, max: 200 }),
    el("div", { class: "row wrap" },
      field({ path: `${at}.type`, kind: "select", label: "Answered with", value: type, options: Object.entries(QUESTION_TYPES) }),
      field({ path: `${at}.id`, kind: "text", label: "Short name for the report", value: q.id, max: 40,
        help: "Lowercase letters, digits, - or _, like felt_heard." })),
    field({ path: `${at}.required`, kind: "checkbox", label: "An answer is required", value: q.required ?? (type === "scale" || type === "single") }),
    specific(),
    tools("question", `question ${n + 1}`, n, count, { prefix: `${path}/`, data: { step: path } }));
}

/** Keep a step's buttons named after its title as the title is typed ("Move up step 3: First round"). */
export function renameStep(root, index, title) {
  const card = root.querySelector(`.step-card[data-index="${index}"]`);
  if (!card) return;
  const head = card.querySelector(".step-head");
  const label = card.querySelector(".step-title").textContent.split(" · ")[1];
  for (const span of head.querySelectorAll('[data-tool-name="step"]')) {
    span.textContent = ` step ${index + 1}: ${title.trim() || label}`;
  }
}
