// The studio's form: the agenda's own fields, then one card per step, each with the fields of its kind.
import { el } from "../dom.js";
import { t } from "../i18n.js";
import { field } from "./fields.js";
import { languageField, markWords } from "./language.js";
import { KINDS, QUESTION_TYPES, SPEAKERS } from "./model.js";

const ODD = [["triad", t("Make one group of three")], ["facilitator", t("I will be their partner")]];
// What each toolbar moves, for its group's name ("Step 2") and its buttons' ("Move up step 2: Welcome").
const ITEM = { step: (n) => t("Step {number}", { number: n }), turn: (n) => t("Turn {number}", { number: n }),
  question: (n) => t("Question {number}", { number: n }) };

function hidden(text) {
  return el("span", { class: "visually-hidden" }, text);
}

/** A small toolbar of Move up / Move down / Remove, kept in the tab order and named for what it moves. */
function tools(what, name, index, count, extra = {}) {
  const button = (action, label, disabled) => el("button", {
    type: "button", class: "button button-quiet small", dataset: { action, index: String(index), focus: `${action}:${extra.prefix || ""}${index}`, ...extra.data },
    "aria-disabled": disabled ? "true" : null,
  }, label, el("span", { class: "visually-hidden", dataset: { toolName: what } }, ` ${name}`));
  return el("div", { class: "item-tools", role: "group", "aria-label": ITEM[what](index + 1) },
    button(`${what}-up`, t("Move up"), index === 0),
    button(`${what}-down`, t("Move down"), index === count - 1),
    button(`${what}-remove`, t("Remove"), count === 1 && what !== "question"));
}

export function renderEditor(source, { readOnly = false } = {}) {
  const steps = source.steps || [];
  const form = el("fieldset", { class: "editor stack", disabled: readOnly },
    el("legend", { class: "visually-hidden" }, t("The agenda")),
    el("section", { class: "card stack agenda-fields", "aria-labelledby": "agenda-fields-title" },
      el("h2", { id: "agenda-fields-title" }, t("About this workshop")),
      field({ path: "title", kind: "text", label: t("Name of the workshop"), value: source.title, max: 80,
        help: t("Everyone sees it at the top of their phone. Short and warm works best.") }),
      languageField(source.language),
      field({ path: "summary", kind: "textarea", label: t("One line about it"), value: source.summary, optional: true,
        rows: 2, help: t("Optional. Shown to whoever starts a workshop from this agenda.") }),
      field({ path: "minutes", kind: "number", label: t("Planned length, in minutes"), value: source.minutes, min: 1,
        max: 600, step: 1, help: t("Optional. The whole workshop, arrivals and goodbyes included.") }),
      field({ path: "odd", kind: "select", label: t("If one person is left without a partner"), value: source.odd || "triad",
        options: ODD, help: t("A group of three takes turns the same way; or you pair up with them yourself.") })),
    el("h2", { id: "steps-title" }, t("Steps")),
    el("p", { class: "muted" }, t("The workshop moves through these in order. Move them with the buttons, or drag a card by its handle.")),
    el("ol", { class: "studio-steps stack", role: "list", "aria-labelledby": "steps-title" },
      steps.map((step, i) => stepCard(step, i, steps.length))),
    addStep());
  markWords(form, source.language);
  return form;
}

function addStep() {
  const select = el("select", { id: "new-step-kind", "aria-describedby": "new-step-hint" },
    Object.entries(KINDS).map(([kind, { label }]) => el("option", { value: kind }, label)));
  return el("div", { class: "card add-step stack-sm" },
    el("label", { for: "new-step-kind" }, t("Add a step")),
    el("p", { class: "hint", id: "new-step-hint" }, t("It goes at the end; move it where you like afterwards.")),
    el("div", { class: "row" }, select,
      el("button", { type: "button", class: "button", dataset: { action: "step-add", focus: "step-add" } }, t("Add step"))));
}

function stepCard(step, i, count) {
  const kind = KINDS[step.kind] ? step.kind : "message";
  const label = KINDS[kind].label;
  const path = `steps[${i + 1}]`;
  return el("li", { class: "card step-card stack", dataset: { index: String(i), kind, kindLabel: label } },
    el("div", { class: "step-head" },
      el("span", { class: "drag-handle", draggable: "true", title: t("Drag to move this step"), "aria-hidden": "true", dataset: { drag: String(i) } }, "⠿"),
      el("div", { class: "stack-sm grow" },
        el("h3", { class: "step-title", id: `step-${i + 1}-heading` }, t("Step {number} · {kind}", { number: i + 1, kind: label })),
        el("p", { class: "muted small" }, KINDS[kind].help)),
      tools("step", stepName(i, step.title || label), i, count)),
    el("p", { class: "field-error", id: `step-${i + 1}-error`, dataset: { stepError: String(i + 1) }, hidden: true }),
    field({ path: `${path}.title`, kind: "text", label: t("Title"), value: step.title, max: 80,
      help: t("A few words; every phone shows them as the heading.") }),
    field({ path: `${path}.text`, kind: "textarea", value: step.text, optional: kind !== "message",
      label: kind === "message" ? t("Message") : t("Words on the phones"),
      help: kind === "message" ? t("What everyone reads during this pause.") : t("Optional. Leave a blank line between paragraphs.") }),
    kind === "round" ? null : field({ path: `${path}.minutes`, kind: "number", label: t("Timer, in minutes"), value: step.minutes,
      min: 0.25, max: 120, step: 0.25, optional: true, help: t("Optional. Leave it empty for no countdown on this step.") }),
    kindFields(step, kind, path));
}

function kindFields(step, kind, path) {
  if (kind === "agreements") {
    return field({ path: `${path}.items`, kind: "lines", label: t("Agreements, one per line"), value: step.items,
      help: t("Up to 12 short sentences everyone can say yes to.") });
  }
  if (kind === "pairing") {
    return field({ path: `${path}.odd`, kind: "select", label: t("If one person is left without a partner"), value: step.odd,
      options: [["", t("As the workshop is set")], ...ODD], help: t("Leave it as the workshop is set unless this step is different.") });
  }
  if (kind === "round") return roundFields(step, path);
  if (kind === "feedback") return questionsFields(step, path);
  return null;
}

function roundFields(step, path) {
  const turns = step.turns || [];
  const cues = step.cues || {};
  const roundName = step.title || t("this round");
  return [
    field({ path: `${path}.prompts`, kind: "lines", label: t("Questions, one per line"), value: step.prompts, rows: 5,
      help: t("Open questions that invite a story, not a yes or no. With two or more, each pair gets one of them.") }),
    field({ path: `${path}.draw`, kind: "checkbox", label: t("Pairs may draw another question"),
      value: step.draw ?? (step.prompts || []).length > 1,
      help: t("Needs at least two questions. Lets a pair swap a question that does not fit.") }),
    field({ path: `${path}.pairing`, kind: "select", label: t("Partners"), value: step.pairing || "new",
      options: [["new", t("New partners for this round")], ["keep", t("Keep the partners from before")]],
      help: t("New partners widen the circle; keeping them lets a conversation deepen.") }),
    el("fieldset", { class: "turns stack-sm" },
      el("legend", {}, t("Turns")),
      el("p", { class: "hint" }, t("Who speaks, and for how long. A group of three also gets a turn for its third person.")),
      el("div", { class: "field-error", id: `${path.replace(/\W+/g, "-")}turns-error`, dataset: { listError: `${path}.turns` }, hidden: true }),
      el("ol", { class: "stack-sm", role: "list" }, turns.map((turn, t) => turnRow(turn, t, turns.length, path))),
      el("button", { type: "button", class: "button secondary small", dataset: { action: "turn-add", step: path, focus: `turn-add:${path}` } },
        t("Add a turn"), hidden(` ${t("to {title}", { title: roundName })}`))),
    el("details", { class: "quiet stack-sm" },
      el("summary", {}, t("Cues on the phones")),
      ["speak", "listen", "both"].map((cue) => field({ path: `${path}.cues.${cue}`, kind: "text", value: cues[cue], optional: true,
        label: { speak: t("For whoever speaks"), listen: t("For whoever listens"), both: t("When both talk") }[cue], max: 200,
        help: t("Optional: a gentle line under the role. Empty keeps the usual words.") }))),
    field({ path: `${path}.reflection`, kind: "textarea", label: t("Something to reflect on at the end"), value: step.reflection,
      optional: true, help: t("Optional. Shown when the turns are over, for the pair to talk about together.") }),
  ];
}

function turnRow(turn, n, count, path) {
  const at = `${path}.turns[${n + 1}]`;
  return el("li", { class: "turn-row", dataset: { at } },
    el("p", { class: "small-title" }, ITEM.turn(n + 1)),
    el("div", { class: "row wrap" },
      field({ path: `${at}.speaker`, kind: "select", label: t("Who speaks"), value: turn.speaker,
        options: Object.entries(SPEAKERS) }),
      field({ path: `${at}.minutes`, kind: "number", label: t("Minutes"), value: turn.minutes, min: 0.25, max: 60, step: 0.25 }),
      field({ path: `${at}.title`, kind: "text", label: t("Title on the phones"), value: turn.title, optional: true, max: 60,
        help: t("Optional.") })),
    tools("turn", t("turn {number}", { number: n + 1 }), n, count, { prefix: `${path}/`, data: { step: path } }));
}

function questionsFields(step, path) {
  const questions = step.questions || [];
  return el("fieldset", { class: "questions stack-sm" },
    el("legend", {}, t("Questions")),
    el("p", { class: "hint" }, t("Answers are anonymous and shown only as a group, once enough people have answered.")),
    el("ol", { class: "stack", role: "list" }, questions.map((q, n) => questionCard(q, n, questions.length, path))),
    el("div", { class: "row wrap" },
      el("label", { for: `${path}-new-type`.replace(/\W+/g, "-") }, t("New question:")),
      el("select", { id: `${path}-new-type`.replace(/\W+/g, "-"), dataset: { newType: path } },
        Object.entries(QUESTION_TYPES).map(([type, label]) => el("option", { value: type }, label))),
      el("button", { type: "button", class: "button secondary small", dataset: { action: "question-add", step: path, focus: `question-add:${path}` } },
        t("Add a question"))));
}

function questionCard(q, n, count, path) {
  const at = `${path}.questions[${n + 1}]`;
  const type = QUESTION_TYPES[q.type] ? q.type : "text";
  const specific = {
    scale: () => field({ path: `${at}.labels`, kind: "lines", label: t("Five labels, one per line"), value: q.labels, optional: true,
      rows: 5, help: t("Optional: from 1 to 5. Empty keeps “Not at all” to “Very much”, in English: write them in the agenda’s language.") }),
    single: () => field({ path: `${at}.options`, kind: "lines", label: t("Options, one per line"), value: q.options,
      help: t("From 2 to 12 options.") }),
    multiple: () => field({ path: `${at}.options`, kind: "lines", label: t("Options, one per line"), value: q.options,
      help: t("From 2 to 12 options; people tick any number.") }),
    text: () => field({ path: `${at}.max_length`, kind: "number", label: t("Longest answer, in characters"), value: q.max_length,
      optional: true, min: 1, max: 2000, step: 1, help: t("Optional: {n} unless you say otherwise.", { n: 1000 }) }),
  }[type];
  return el("li", { class: "question-card stack-sm", dataset: { at } },
    el("p", { class: "small-title" }, ITEM.question(n + 1)),
    field({ path: `${at}.text`, kind: "text", label: t("Question"), value: q.text, max: 200 }),
    el("div", { class: "row wrap" },
      field({ path: `${at}.type`, kind: "select", label: t("Answered with"), value: type, options: Object.entries(QUESTION_TYPES) }),
      field({ path: `${at}.id`, kind: "text", label: t("Short name for the report"), value: q.id, max: 40, dir: "ltr",
        help: t("Lowercase letters, digits, - or _, like felt_heard.") })),
    field({ path: `${at}.required`, kind: "checkbox", label: t("An answer is required"), value: q.required ?? (type === "scale" || type === "single") }),
    specific(),
    tools("question", t("question {number}", { number: n + 1 }), n, count, { prefix: `${path}/`, data: { step: path } }));
}

/** Keep a step's buttons named after its title as the title is typed ("Move up step 3: First round"). */
export function renameStep(root, index, title) {
  const card = root.querySelector(`.step-card[data-index="${index}"]`);
  if (!card) return;
  const head = card.querySelector(".step-head");
  for (const span of head.querySelectorAll('[data-tool-name="step"]')) {
    span.textContent = ` ${stepName(index, title.trim() || card.dataset.kindLabel)}`;
  }
}

/** A step as its buttons name it: "step 3: First round". */
function stepName(index, title) {
  return t("step {number}: {title}", { number: index + 1, title });
}
