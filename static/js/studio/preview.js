// The phone preview: a step drawn by the phone's own screens (screens.js), from a made-up room and person.
import { Countdown } from "../countdown.js";
import { el, replace } from "../dom.js";
import { t, tp } from "../i18n.js";
import { screenFor } from "../screens.js";

// Made-up partners; a translation may give them names common where its language is spoken.
const PEOPLE = { A: tp("a made-up name in the preview", "Sam"), B: tp("a made-up name in the preview", "Eli"),
  C: tp("a made-up name in the preview", "Noor") };

/** The views a step can be seen in: a round's roles in each turn, everyone else's one view. */
export function viewsOf(step) {
  if (step.kind !== "round") return [["", t("As every attendee sees it")]];
  const views = [];
  step.turns.forEach((turn, n) => {
    const roles = turn.speaker === "both" ? ["A", "C"] : [turn.speaker, turn.speaker === "A" ? "B" : "A", "C"];
    for (const role of roles) {
      const what = role === "C" ? t("the third person of a trio (C)")
        : turn.speaker === "both" ? t("{role}, talking together", { role })
          : role === turn.speaker ? t("{role}, the speaker", { role }) : t("{role}, the listener", { role });
      views.push([`${n}:${role}`, t("Turn {number}: {who}", { number: n + 1, who: what })]);
    }
  });
  return views;
}

/** The room and person a phone would be sent for this step and view (docs/protocol.md, `room` and `you`). */
export function fakeState(agenda, index, view) {
  const step = agenda.steps[index];
  const [turnAt, role] = view ? view.split(":") : ["0", "A"];
  const turn = step.kind === "round" ? step.turns[Number(turnAt)] : null;
  const minutes = turn ? turn.minutes : step.minutes;
  const timer = minutes ? { state: "running", deadline: Date.now() + minutes * 60000, duration_ms: minutes * 60000 } : null;
  const roles = role === "C" ? ["A", "B", "C"] : ["A", "B"];
  const members = roles.map((r) => ({ id: r === role ? "a_you" : `a_${r}`, name: PEOPLE[r], role: r }));
  const group = ["round", "pairing"].includes(step.kind)
    ? { id: "g_1", number: 3, colour: "teal", members, role: role || "A", prompt: (step.prompts || [])[0], done: false }
    : null;
  const agreements = agenda.steps.find((s) => s.kind === "agreements");
  const room = {
    code: "PREVIEW", title: agenda.title, seq: 1, status: "open", locked: false, odd: agenda.odd,
    step: { ...step, count: agenda.steps.length, prompt: (step.prompts || [])[0] },
    phase: turn ? { index: Number(turnAt), number: Number(turnAt) + 1, count: step.turns.length, speaker: turn.speaker, title: turn.title } : null,
    timer, message: null, feedback: { open: step.kind === "feedback", closed: false },
    agreements: agreements ? { title: agreements.title, text: agreements.text, items: agreements.items } : null,
  };
  const you = {
    attendee: { id: "a_you", name: PEOPLE[role || "A"], agreed: step.kind !== "agreements", answered: false, moment: false },
    group, waiting: false, agreements: null,
  };
  return { room, you };
}

export class Preview {
  constructor(screen) {
    this.screen = screen;
    this.countdown = new Countdown({ size: "big" });
    this.ctx = {
      countdown: this.countdown, draftKey: "h2h-draft:studio-preview", unlock() {}, say() {},
      act: async () => ({ ok: false, error: t("This is a preview: nothing is sent.") }),
      dismissPartner() {}, takeOver() {},
    };
  }

  /** Draw a step of a checked agenda in one view; a step the server has not checked shows a note instead. */
  show(agenda, index, view) {
    if (!agenda || !agenda.steps[index]) {
      replace(this.screen, el("p", { class: "card calm" }, t("Fix the marked fields and the preview comes back.")));
      return;
    }
    const { room, you } = fakeState(agenda, index, view);
    this.countdown.set(room.timer);
    const screen = screenFor(room, you, this.ctx);
    // The preview is a picture, not a page of its own: its heading is not a second h1.
    for (const heading of screen.querySelectorAll("h1")) {
      const twin = el("p", { class: `${heading.className} preview-heading`, role: "heading", "aria-level": "3" });
      twin.append(...heading.childNodes);
      heading.replaceWith(twin);
    }
    replace(this.screen, screen);
  }
}

/**
 * Let the preview show either theme whatever the facilitator's screen uses: phone.css's own dark rules are
 * copied at run time under `.attendee-page.theme-dark` (its media rule then answers to `.theme-auto` only),
 * and app.css's light colours under `.attendee-page.theme-light`. Nothing is forked: edit those files.
 */
export function themeRules() {
  const sheets = [...document.styleSheets];
  const phone = sheets.find((s) => (s.href || "").endsWith("/css/phone.css"));
  const app = sheets.find((s) => (s.href || "").endsWith("/css/app.css"));
  if (!phone || !app) return;
  const scoped = (selector, theme) => selector.split(",")
    .map((part) => part.replaceAll(".attendee-page", `.attendee-page.theme-${theme}`)).join(",");
  for (const rule of [...phone.cssRules]) {
    if (!(rule instanceof CSSMediaRule) || !/prefers-color-scheme:\s*dark/.test(rule.media.mediaText)) continue;
    for (const inner of [...rule.cssRules]) {
      phone.insertRule(`${scoped(inner.selectorText, "dark")} { ${inner.style.cssText} }`, phone.cssRules.length);
      inner.selectorText = scoped(inner.selectorText, "auto");
    }
  }
  for (const rule of [...app.cssRules]) {
    if (rule instanceof CSSStyleRule && rule.selectorText === ":root") {
      phone.insertRule(`.attendee-page.theme-light { ${rule.style.cssText} }`, phone.cssRules.length);
    }
  }
}
