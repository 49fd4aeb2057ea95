// One form field of the studio: a label, a line of help for a facilitator, the control, and its problem.
import { el } from "../dom.js";

/** The element id of a field, from its path: "steps[2].title" -> "f-steps-2-title". */
export function fieldId(path, prefix = "f") {
  return `${prefix}-${path.replace(/[^a-zA-Z0-9]+/g, "-").replace(/-$/, "")}`;
}

/**
 * Build a field. `spec`: {path, label, help, kind: text|textarea|number|lines|checkbox|select, value,
 * options (select: [[value, label]]), optional, min, max, step, prefix, dir}. The control carries data-path
 * and data-read, which `readControl` uses; problems are shown in its `.field-error`. Typed text takes its
 * direction from what is typed (`dir="auto"`: an Arabic prompt reads right to left on an English page)
 * unless `dir` says otherwise (tags and ids are left to right).
 */
export function field(spec) {
  const id = fieldId(spec.path, spec.prefix);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const described = [spec.help ? hintId : null, errorId].filter(Boolean).join(" ");
  const common = { id, dataset: { path: spec.path, read: spec.kind, optional: spec.optional ? "1" : "" },
    "aria-describedby": described };
  let control;
  const dir = spec.dir || "auto";
  if (spec.kind === "textarea" || spec.kind === "lines") {
    const value = spec.kind === "lines" ? (spec.value || []).join("\n") : (spec.value ?? "");
    control = el("textarea", { ...common, dir, rows: String(spec.rows || (spec.kind === "lines" ? 4 : 3)) });
    control.value = value;
  } else if (spec.kind === "checkbox") {
    control = el("input", { ...common, type: "checkbox" });
    control.checked = Boolean(spec.value);
  } else if (spec.kind === "select") {
    control = el("select", common, spec.options.map(([value, label]) => el("option", { value }, label)));
    control.value = spec.value ?? "";
  } else if (spec.kind === "number") {
    control = el("input", { ...common, type: "number", inputmode: "decimal", min: spec.min, max: spec.max,
      step: spec.step || "any" });
    control.value = spec.value ?? "";
  } else {
    control = el("input", { ...common, type: "text", dir, maxlength: spec.max ? String(spec.max + 40) : null });
    control.value = spec.value ?? "";
  }
  if (spec.readOnly) control.disabled = true;
  const hint = spec.help ? el("p", { class: "hint", id: hintId }, spec.help) : null;
  const error = el("p", { class: "field-error", id: errorId, hidden: true });
  if (spec.kind === "checkbox") {
    return el("div", { class: "field field-check", dataset: { field: spec.path } },
      el("label", { class: "choice", for: id }, control, el("span", {}, spec.label)), hint, error);
  }
  return el("div", { class: `field field-${spec.kind}`, dataset: { field: spec.path } },
    el("label", { for: id }, spec.label), hint, control, error);
}

/** Read a control's value as the agenda holds it; undefined leaves the key out. */
export function readControl(control) {
  const kind = control.dataset.read;
  const optional = control.dataset.optional === "1";
  if (kind === "checkbox") return control.checked;
  if (kind === "lines") return control.value.split("\n").map((line) => line.trim()).filter(Boolean);
  if (kind === "number") {
    const raw = control.value.trim();
    if (!raw) return control.validity && control.validity.badInput ? "?" : undefined;
    const value = Number(raw);
    return Number.isFinite(value) ? value : raw;
  }
  if (kind === "select") return control.value || undefined;
  return optional && !control.value.trim() ? undefined : control.value;
}
