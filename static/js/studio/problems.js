// The validator's problems (from the server, the loader's own checks) shown beside their fields.
//
// The problem's own sentence is the validator's, in English (docs/i18n.md: it speaks the file's terms);
// where it is and how many there are are said in the page's language.
import { el, replace } from "../dom.js";
import { LANG, t, tn } from "../i18n.js";

/** The path of a problem as the form's data-path has it: "steps[2].turns[1].minutes". */
export function pathOf(problem) {
  const step = problem.step ? `steps[${problem.step}]` : "";
  let field = problem.field || "";
  if (field === "prompt") field = "prompts";
  return [step, field].filter(Boolean).join(".");
}

/** Find the control for a path, or the nearest one above it (a list's entry marks the whole list). */
function controlFor(root, path) {
  let at = path;
  let line = null;
  while (at) {
    const control = root.querySelector(`[data-path="${CSS.escape(at)}"]`);
    if (control) return { control, line };
    const entry = /\[(\d+)\]$/.exec(at);
    if (entry) {
      line = line || Number(entry[1]);
      at = at.slice(0, entry.index);
    } else {
      at = at.includes(".") ? at.slice(0, at.lastIndexOf(".")) : "";
    }
  }
  return { control: null, line };
}

/** Clear every mark, then mark each problem's field (or its step) and list them in the summary. */
export function show(root, summary, problems) {
  for (const control of root.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  for (const error of root.querySelectorAll(".field-error")) {
    error.hidden = true;
    error.textContent = "";
  }
  const items = [];
  for (const problem of problems) {
    const path = pathOf(problem);
    const { control, line } = controlFor(root, path);
    const said = capital(problem.problem);
    const sentence = line && control && control.dataset.read === "lines" ? t("Line {line}: {problem}", { line, problem: said }) : said;
    let target;
    if (control) {
      control.setAttribute("aria-invalid", "true");
      target = root.querySelector(`#${CSS.escape(control.id)}-error`);
    } else if (problem.step) {
      target = root.querySelector(`[data-step-error="${problem.step}"]`);
    }
    if (target) {
      target.textContent = target.textContent ? `${target.textContent} ${sentence}` : sentence;
      target.hidden = false;
    }
    const where = problem.step ? t("Step {number}", { number: problem.step }) : t("The workshop");
    const label = control ? labelOf(root, control) : "";
    items.push(el("li", {}, control
      ? el("a", { href: `#${control.id}`, dataset: { goto: control.id } },
        t("{where}, {field}: {problem}", { where, field: label, problem: sentence }))
      : t("{where}: {problem}", { where, problem: sentence })));
  }
  summary.hidden = !problems.length;
  replace(summary, problems.length
    ? [el("h2", { class: "small-title", id: "problems-title" },
      tn("{n} thing to fix before this agenda can run", "{n} things to fix before this agenda can run", problems.length)),
      el("ul", { class: "stack-sm", "aria-labelledby": "problems-title" }, items)]
    : []);
}

function labelOf(root, control) {
  const label = root.querySelector(`label[for="${CSS.escape(control.id)}"]`);
  if (!label) return t("this field");
  // English writes a label in the middle of a sentence in lower case; other languages keep theirs (German nouns).
  return LANG === "en" ? label.textContent.trim().toLowerCase() : label.textContent.trim();
}

function capital(text) {
  return text ? text[0].toUpperCase() + text.slice(1) + (/[.?!)]$/.test(text) ? "" : ".") : "";
}
