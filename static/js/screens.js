// The attendee's screens, one per situation; each returns a fresh DOM tree built from room + you.
import { el, listNames, paragraphs } from "./dom.js";
import { feedbackForm } from "./feedback.js";
import { holdWords } from "./hold.js";
import { t } from "./i18n.js";
import { memberName, pairLabel, partnersOf, roleFor, rolePartner, turnLabel } from "./roles.js";

const GATED = new Set(["agreements", "pairing", "round", "message"]);

/** The agreements this attendee is asked to accept: the step's own, or those sent once on connect. */
export function agreementsOf(room, you, sent) {
  if (room.step.kind === "agreements") return room.step;
  return (you && you.must_agree && sent) || null;
}

/**
 * Choose and build the screen for the current state. `ctx` holds the countdown and the actions, and
 * `ctx.newPartner` says whether the "new partner" moment is still to be shown for this group.
 */
export function screenFor(room, you, ctx) {
  if (room.status === "ended") return ended(room);
  if (ctx.newPartner && you.group && partnersOf(you).length) return newPartner(room, you, ctx);
  const step = room.step;
  const agreed = you.attendee.agreed;
  if (!agreed && GATED.has(step.kind)) {
    const agreements = agreementsOf(room, you, ctx.agreements);
    if (agreements) return agreementsScreen(agreements, ctx, false);
    if (step.kind !== "message") return lateArrival(room);
  }
  switch (step.kind) {
    case "agreements": return agreementsScreen(step, ctx, agreed);
    case "pairing": return pairing(room, you, ctx);
    case "round":
      if (you.pending) return held(room, you, ctx);
      return you.group ? round(room, you, ctx) : unpaired(room, you, ctx);
    case "feedback": return feedback(room, you, ctx);
    default: return textStep(room, ctx);
  }
}

// Every screen starts with its one h1, which takes focus (tabindex -1) when the focused control goes away.
function heading(text, kicker) {
  return [kicker ? el("p", { class: "kicker" }, kicker) : null,
    el("h1", { class: "step-heading", tabindex: "-1" }, text)];
}

/** The countdown, on steps where a timer is counting (or has counted): never an idle one outside a round. */
function timerShown(room, ctx) {
  return room.timer && room.timer.state !== "idle" ? ctx.countdown.el : null;
}

/**
 * A button that stays focused and in the tab order while its command is on the way: busy is shown
 * with aria-disabled and its text, never `disabled` (which would drop focus to the page).
 */
export function busyButton(attrs, label, busyLabel, run) {
  const button = el("button", { type: "button", ...attrs }, label);
  button.addEventListener("click", async (event) => {
    if (button.getAttribute("aria-disabled") === "true") {
      event.preventDefault();
      return;
    }
    button.setAttribute("aria-disabled", "true");
    button.textContent = busyLabel;
    try {
      await run();
    } finally {
      button.removeAttribute("aria-disabled");
      button.textContent = label;
    }
  });
  return button;
}

/** The pair's number and colour, and who is in it: "Pair 7 · teal · with Sam". */
function pairBadge(you) {
  const label = pairLabel(you.group);
  const names = partnersOf(you).map(memberName);
  if (!label && !names.length) return null;
  return el("p", { class: "pair-badge", dataset: { colour: you.group.colour || "" } },
    el("span", { class: "pair-swatch", "aria-hidden": "true" }),
    el("span", { class: "pair-text" }, [label, names.length ? t("with {names}", { names: listNames(names) }) : ""].filter(Boolean).join(" · ")));
}

function newPartner(room, you, ctx) {
  const partners = partnersOf(you);
  const names = partners.map((m) => (m.id === "facilitator" ? t("Your facilitator") : m.name));
  const label = pairLabel(you.group);
  const button = el("button", { type: "button", class: "button block big", dataset: { focus: "found" } },
    t("We have found each other"));
  button.addEventListener("click", () => ctx.dismissPartner());
  return el("section", { class: "screen new-partner", dataset: { colour: you.group.colour || "" } },
    el("p", { class: "kicker" }, room.step.title),
    el("h1", { class: "step-heading new-partner-title", tabindex: "-1" },
      partners.length > 1 ? t("Your new group") : t("Your new partner")),
    el("p", { class: "new-partner-names" }, listNames(names)),
    label ? el("p", { class: "new-partner-pair" },
      el("span", { class: "pair-swatch big", "aria-hidden": "true" }),
      el("span", {}, label)) : null,
    el("p", { class: "new-partner-hint" }, label
      ? t("Find each other: both your phones show {label}. Sit together.", { label })
      : t("Find each other and sit together.")),
    button);
}

function textStep(room, ctx) {
  const step = room.step;
  return el("section", { class: `screen stack screen-${step.kind}` },
    heading(step.title),
    el("div", { class: "prose stack-sm" }, paragraphs(step.text)),
    timerShown(room, ctx),
    step.kind === "closing" ? el("p", { class: "muted" }, t("You can close this page whenever you like.")) : null);
}

function agreementsScreen(step, ctx, agreed) {
  const items = el("ul", { class: "agreements", role: "list" }, (step.items || []).map((item) => el("li", {}, item)));
  if (agreed) {
    return el("section", { class: "screen stack" },
      heading(step.title || t("Our agreements")),
      el("div", { class: "card calm stack-sm" },
        el("p", { class: "big-line" }, t("Thank you.")),
        el("p", {}, t("Waiting for the others…"))),
      el("details", { class: "quiet" }, el("summary", {}, t("Read the agreements again")), items));
  }
  const error = el("p", { class: "notice error", id: "agree-error", hidden: true });
  const button = busyButton({ class: "button block big", dataset: { focus: "agree" }, "aria-describedby": "agree-error" },
    t("I agree"), t("Sending…"), async () => {
      ctx.unlock();
      error.hidden = true;
      const ack = await ctx.act("agree");
      if (!ack.ok) {
        error.textContent = ack.error;
        error.hidden = false;
        ctx.say(ack.error);
      }
    });
  return el("section", { class: "screen stack" },
    heading(step.title || t("Our agreements"), t("Before we begin")),
    el("div", { class: "prose stack-sm" }, paragraphs(step.text)),
    items, error, button,
    el("p", { class: "muted small" }, t("You can still pass any question or ask for a moment at any time.")));
}

function lateArrival(room) {
  return el("section", { class: "screen stack" },
    heading(t("Welcome"), room.step.title),
    el("div", { class: "card calm stack-sm" },
      el("p", {}, t("The workshop is under way. Your facilitator will bring you in at the next step.")),
      el("p", { class: "muted" }, t("Keep this page open."))));
}

function partnerLine(you) {
  const partners = partnersOf(you);
  return partners.map((m) => `${memberName(m)} (${m.role})`);
}

function pairing(room, you, ctx) {
  const step = room.step;
  if (!you.group) return unpaired(room, you, ctx);
  const partners = partnersOf(you);
  const names = partners.map((m) => (m.id === "facilitator" ? t("Your facilitator") : m.name));
  const label = pairLabel(you.group);
  return el("section", { class: "screen stack" },
    heading(step.title, partners.length > 1 ? t("Your group") : t("Your partner")),
    el("div", { class: "card partner-card stack-sm", dataset: { colour: you.group.colour || "" } },
      el("h2", { class: "partner-names" }, listNames(names)),
      label ? el("p", { class: "pair-line" }, el("span", { class: "pair-swatch", "aria-hidden": "true" }), label) : null,
      el("p", { class: "muted" }, t("You are {role}.", { role: you.group.role }), " ",
        partners.length > 1 ? t("You are a trio: each of you gets a turn.") : "")),
    timerShown(room, ctx),
    el("div", { class: "prose stack-sm" }, paragraphs(step.text)));
}

function unpaired(room, you, ctx) {
  const waiting = you.waiting;
  return el("section", { class: "screen stack" },
    heading(room.step.title, room.step.kind === "round" && room.step.round ? t("Round {number}", { number: room.step.round }) : ""),
    el("div", { class: "card calm stack-sm waiting-card" },
      el("span", { class: "breath", "aria-hidden": "true" }),
      el("p", { class: "big-line" }, waiting ? t("Finding you a partner…") : t("You will be paired soon.")),
      el("p", { class: "muted" }, waiting
        ? t("As soon as someone is free, their name appears here. Take a slow breath meanwhile.")
        : t("Your facilitator is forming the pairs. Keep this page open."))),
    el("div", { class: "prose stack-sm" }, paragraphs(room.step.text)));
}

/** Waiting for the next turn: a running turn is never re-formed, so newcomers and the partner of a leaver wait here. */
function held(room, you, ctx) {
  const words = holdWords(room, you);
  const step = room.step;
  return el("section", { class: "screen stack screen-held" },
    heading(step.title, step.round ? t("Round {number}", { number: step.round }) : ""),
    el("div", { class: "card calm stack-sm waiting-card held-card", dataset: { reason: you.pending.reason } },
      el("span", { class: "breath", "aria-hidden": "true" }),
      el("p", { class: "big-line held-title" }, words.title),
      el("p", { class: "held-line" }, words.line)),
    you.group && (you.group.prompt || step.prompt) ? el("section", { class: "prompt-card", "aria-labelledby": "prompt-label" },
      el("h2", { class: "prompt-label", id: "prompt-label" }, t("The question")),
      el("blockquote", { class: "prompt-text" }, el("p", {}, you.group.prompt || step.prompt))) : null,
    el("p", { class: "muted" }, t("Your facilitator can see that you are waiting and may bring you in sooner.")),
    momentToggle(you, ctx));
}

function round(room, you, ctx) {
  const step = room.step;
  const group = you.group;
  const role = roleFor(room, you);
  const timerState = room.timer ? room.timer.state : "none";
  const inTurn = role.kind !== "complete" && (timerState === "running" || timerState === "paused");
  const kicker = [step.round ? t("Round {number}", { number: step.round }) : "", turnLabel(room)].filter(Boolean).join(" · ");

  const partners = partnerLine(you);
  // The countdown sits inside the role card, right under the role, so that both stay above the fold.
  const roleCard = el("div", { class: `role-card role-${role.kind}` },
    el("h2", { class: "role-title" },
      el("span", { class: "role-heading" }, role.heading),
      el("span", { class: "role-partner" }, rolePartner(role, you))),
    role.kind === "complete" ? null : ctx.countdown.el,
    notStartedNote(room, role),
    role.cue ? el("p", { class: "role-cue" }, role.cue) : null,
    el("p", { class: "with-line" }, t("With {names} · you are {role}", { names: listNames(partners), role: group.role })));

  const prompt = el("section", { class: "prompt-card", "aria-labelledby": "prompt-label" },
    el("h2", { class: "prompt-label", id: "prompt-label" }, t("Your question")),
    el("blockquote", { class: "prompt-text" }, el("p", {}, group.prompt || step.prompt || "")));

  const reflect = (role.kind === "complete" || role.kind === "both") && step.reflection
    ? el("section", { class: "reflection stack-sm", "aria-labelledby": "reflect-label" },
      el("h2", { class: "prompt-label", id: "reflect-label" }, t("To reflect on")),
      el("p", { class: "reflection-text" }, step.reflection))
    : null;

  const actions = el("div", { class: "actions stack-sm" });
  if (group.done && role.kind !== "complete") {
    actions.append(el("p", { class: "done-note" }, t("Done — rest quietly until the next turn.")));
  } else if (inTurn) {
    actions.append(actionButton(t("We’re done"), "mark_done", ctx, "secondary"));
  }
  if (step.draw && role.kind !== "complete") actions.append(actionButton(t("Another question"), "draw_prompt", ctx, "secondary"));

  return el("section", { class: "screen stack screen-round" },
    heading(step.title, kicker),
    pairBadge(you),
    roleCard,
    prompt,
    reflect,
    actions,
    momentToggle(you, ctx),
    step.text ? el("details", { class: "quiet" }, el("summary", {}, t("How this round works")),
      el("div", { class: "prose stack-sm" }, paragraphs(step.text))) : null);
}

function notStartedNote(room, role) {
  const idle = room.timer && room.timer.state === "idle";
  return idle && room.phase.index === 0 && role.kind !== "complete"
    ? el("p", { class: "not-started" }, t("The first turn starts when your facilitator starts the timer."))
    : null;
}

function actionButton(label, event, ctx, variant) {
  const errorId = `${event}-error`;
  const error = el("p", { class: "field-error", id: errorId, hidden: true });
  const button = busyButton({ class: `button block ${variant}`, dataset: { focus: event }, "aria-describedby": errorId },
    label, t("Sending…"), async () => {
      error.hidden = true;
      const ack = await ctx.act(event);
      if (!ack.ok) {
        error.textContent = ack.error;
        error.hidden = false;
        ctx.say(ack.error);
      }
    });
  return el("div", { class: "stack-sm" }, button, error);
}

function momentToggle(you, ctx) {
  const box = el("input", { type: "checkbox", id: "moment", dataset: { focus: "moment" }, "aria-describedby": "moment-hint moment-error" });
  box.checked = Boolean(you.attendee.moment);
  const error = el("p", { class: "field-error", id: "moment-error", hidden: true });
  box.addEventListener("change", async () => {
    error.hidden = true;
    const ack = await ctx.act("ask_moment", { needed: box.checked });
    if (!ack.ok) {
      box.checked = !box.checked;
      error.textContent = ack.error;
      error.hidden = false;
      ctx.say(ack.error);
    }
  });
  return el("div", { class: "moment" },
    el("label", { class: "choice", for: "moment" }, box, el("span", {}, t("I need a moment"))),
    el("p", { class: "hint", id: "moment-hint" }, box.checked
      ? t("Your facilitator knows. Take all the time you need; untick this when you are ready.")
      : t("Private: only your facilitator sees it, not your partner.")),
    error);
}

function feedback(room, you, ctx) {
  const step = room.step;
  const fb = room.feedback || {};
  let body;
  if (you.attendee.answered) {
    body = el("div", { class: "card calm stack-sm" },
      el("p", { class: "big-line" }, t("Thank you for your feedback.")),
      el("p", {}, t("It helps make the next heart to heart even better. Your answers are stored without your name.")));
  } else if (fb.open) {
    body = feedbackForm({ step, draftKey: ctx.draftKey, say: ctx.say, send: (answers) => ctx.act("send_feedback", { answers }) });
  } else if (fb.closed) {
    body = el("div", { class: "card calm" }, el("p", {}, t("Feedback is closed. Thank you for being here.")));
  } else {
    body = el("div", { class: "card calm stack-sm" },
      el("p", { class: "big-line" }, t("The feedback form will open soon.")),
      el("p", { class: "muted" }, t("Keep this page open; it appears here by itself.")));
  }
  return el("section", { class: "screen stack" },
    heading(step.title),
    !you.attendee.answered && fb.open ? el("div", { class: "prose stack-sm" }, paragraphs(step.text)) : null,
    body,
    fb.open ? null : timerShown(room, ctx));
}

function ended(room) {
  return el("section", { class: "screen stack" },
    heading(t("Thank you"), room.title),
    el("div", { class: "card calm stack-sm" },
      el("p", { class: "big-line" }, t("This workshop has ended.")),
      el("p", {}, t("Thank you for speaking sincerely and listening fully. What was shared here stays here.")),
      el("p", { class: "muted" }, t("You can close this page."))));
}

/** Screens shown when there is no live room to show. */
export function haltScreen(kind, ctx) {
  if (kind === "replaced") {
    const button = el("button", { type: "button", class: "button block", dataset: { focus: "take-over" } }, t("Use it here instead"));
    button.addEventListener("click", () => ctx.takeOver());
    return el("section", { class: "screen stack" },
      heading(t("Open in another tab")),
      el("div", { class: "card calm stack-sm" },
        el("p", {}, t("This workshop is open in another tab or window, so this one has paused.")),
        button));
  }
  if (kind === "removed") {
    return el("section", { class: "screen stack" },
      heading(t("You have left this workshop")),
      el("div", { class: "card calm stack-sm" },
        el("p", {}, t("The facilitator has removed you from this workshop.")),
        el("p", { class: "muted" }, t("If you think this is a mistake, you are welcome to speak with them."))));
  }
  return el("section", { class: "screen stack" },
    heading(t("This workshop is not available")),
    el("div", { class: "card calm stack-sm" },
      el("p", {}, ctx.message || t("This workshop has ended, or there is no workshop with this code.")),
      el("p", {}, el("a", { href: "/join", class: "button secondary" }, t("Enter another code")))));
}
