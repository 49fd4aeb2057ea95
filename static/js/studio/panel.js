// The preview's side panel: which step, seen by whom, in which theme; the drawing itself is preview.js.
import { el, replace } from "../dom.js";
import { t } from "../i18n.js";
import { Preview, themeRules, viewsOf } from "./preview.js";

const $ = (id) => document.getElementById(id);

export class PreviewPanel {
  constructor() {
    this.preview = new Preview($("phone-screen"));
    this.agenda = null;
    $("preview-step").addEventListener("change", () => this.views());
    $("preview-view").addEventListener("change", () => this.views());
    for (const radio of document.querySelectorAll("input[name=theme]")) {
      radio.addEventListener("change", () => this.theme(radio.value));
    }
  }

  /** Make both themes drawable, and start in the one the facilitator's screen uses. */
  start() {
    themeRules();
    const theme = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    this.theme(theme);
    document.querySelector(`input[name=theme][value=${theme}]`).checked = true;
  }

  theme(theme) {
    $("phone").classList.toggle("theme-dark", theme === "dark");
    $("phone").classList.toggle("theme-light", theme === "light");
  }

  /** Offer the steps of the latest checked agenda, keeping the step shown when it is still there. */
  refresh(agenda) {
    this.agenda = agenda;
    const stepSelect = $("preview-step");
    const before = stepSelect.value;
    const steps = agenda ? agenda.steps : [];
    replace(stepSelect, steps.map((step, i) => el("option", { value: String(i) }, t("{number}. {title}", { number: i + 1, title: step.title }))));
    stepSelect.value = before && Number(before) < steps.length ? before : "0";
    this.views();
  }

  views() {
    const viewSelect = $("preview-view");
    const before = viewSelect.value;
    const step = this.agenda && this.agenda.steps[Number($("preview-step").value)];
    const views = step ? viewsOf(step) : [];
    replace(viewSelect, views.map(([value, label]) => el("option", { value }, label)));
    if (views.some(([value]) => value === before)) viewSelect.value = before;
    $("preview-view-field").hidden = views.length < 2;
    this.preview.show(this.agenda, Number($("preview-step").value), viewSelect.value);
  }
}
