// "Change for this workshop only": prompts, durations and agreements, on a copy the agenda never sees.
import { el, replace } from "../dom.js";
import { t } from "../i18n.js";
import { field, readControl } from "./fields.js";
import { KINDS, setPath } from "./model.js";

export class Tweaks {
  constructor(root) {
    this.root = root;
    this.copy = null;
    this.touched = false;
    root.addEventListener("input", (event) => this.read(event.target));
    root.addEventListener("change", (event) => this.read(event.target));
  }

  read(control) {
    if (!control.dataset || !control.dataset.path || !this.copy) return;
    setPath(this.copy, control.dataset.path, readControl(control));
    this.touched = true;
  }

  /** Draw the tweakable fields of an agenda afresh (a new version forgets earlier tweaks). */
  reset(source) {
    this.copy = structuredClone(source);
    this.touched = false;
    const steps = this.copy.steps || [];
    replace(this.root, steps.map((step, i) => this.step(step, i)).filter(Boolean));
  }

  step(step, i) {
    const path = `steps[${i + 1}]`;
    const parts = [];
    if (step.kind === "agreements") {
      parts.push(field({ prefix: "t", path: `${path}.items`, kind: "lines", label: t("Agreements, one per line"), value: step.items }));
    }
    if (step.kind === "round") {
      parts.push(field({ prefix: "t", path: `${path}.prompts`, kind: "lines", label: t("Questions, one per line"), value: step.prompts, rows: 4 }));
      (step.turns || []).forEach((turn, n) => parts.push(field({ prefix: "t", path: `${path}.turns[${n + 1}].minutes`, kind: "number",
        label: t("Turn {number}, in minutes", { number: n + 1 }), value: turn.minutes, min: 0.25, max: 60, step: 0.25 })));
    } else if (step.kind !== "feedback") {
      parts.push(field({ prefix: "t", path: `${path}.minutes`, kind: "number", label: t("Timer, in minutes"), value: step.minutes,
        optional: true, min: 0.25, max: 120, step: 0.25 }));
    }
    if (!parts.length) return null;
    const label = (KINDS[step.kind] || KINDS.message).label;
    return el("fieldset", { class: "tweak-step stack-sm" }, el("legend", {}, t("Step {number} · {kind}: {title}", { number: i + 1, kind: label, title: step.title || "" })), parts);
  }

  /** The agenda with this workshop's changes, or null when nothing was changed. */
  tweaked() {
    return this.touched ? this.copy : null;
  }
}
