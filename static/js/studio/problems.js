// The validator's problems (from the server, the loader's own checks) shown beside their fields.
import { el, replace } from "../dom.js";

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
    const sentence = `${line && control && control.dataset.read === "lines" ? `Line ${line}: ` : ""}${capital(problem.problem)}`;
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
    const where = problem.step ? `Step ${problem.step}` : "The workshop";
    const label = control ? labelOf(root, control) : "";
    items.push(el("li", {}, control
      ? el("a", { href: `#${control.id}`, dataset: { goto: control.id } }, `${where}, ${label}: ${sentence}`)
      : `${where}: ${sentence}`));
  }
  summary.hidden = !problems.length;
  replace(summary, problems.length
    ? [el("h2", { class: "small-title", id: "problems-title" }, problems.length === 1 ? "1 thing to fix before this agenda can run" : `${problems.length} things to fix before this agenda can run`),
      el("ul", { class: "stack-sm", "aria-labelledby": "problems-title" }, items)]
    : []);
}

function labelOf(root, control) {
  const label = root.querySelector(`label[for="${CSS.escape(control.id)}"]`);
  return label ? label.textContent.trim().toLowerCase() : "this field";
}

function capital(text) {
  return text ? text[0].toUpperCase() + text.slice(1) + (/[.?!)]$/.test(text) ? "" : ".") : "";
}
