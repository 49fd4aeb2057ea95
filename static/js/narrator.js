// What a screen reader hears on the phone: one sentence per change, through one polite live region.
//
// The server sends one change as a `room` and then a `you` (a new round: new step, then new
// partner), so events are gathered for a moment and the whole change is described once, from the
// state before it to the state after it. Nothing is said from the local countdown reaching zero:
// in a round the server's next turn follows, and its sentence is the one to hear.
import { serverNow } from "./clock.js";
import { announce, listNames } from "./dom.js";
import { holdSentence } from "./hold.js";
import { t, tn } from "./i18n.js";
import { pairLabel, partnersOf, roleSentence, turnLabel } from "./roles.js";

const SETTLE_MS = 250; // a room change and the personal change it causes arrive within this
const LATE_MS = 1500; // a non-round timer that stops this close to its deadline ran out

function names(you) {
  return partnersOf(you).map((m) => (m.id === "facilitator" ? t("your facilitator") : m.name));
}

/** "New partner: Eli. Pair 3, green." for the group `you` is now in. */
export function partnerSentence(you) {
  const others = names(you);
  if (!others.length) return "";
  const label = pairLabel(you.group).replace(" · ", ", ");
  const who = others.length > 1 ? t("New group: {names}.", { names: listNames(others) }) : t("New partner: {name}.", { name: others[0] });
  return label ? `${who} ${label}.` : who;
}

function turnSentence(room, you) {
  const turn = turnLabel(room);
  const role = roleSentence(room, you);
  return [turn ? `${turn}.` : "", role].filter(Boolean).join(" ");
}

function extraTime(ms) {
  const seconds = Math.round(ms / 1000);
  if (seconds % 60) return tn("{n} more second.", "{n} more seconds.", seconds);
  const minutes = seconds / 60;
  return minutes === 1 ? t("One more minute.") : tn("{n} more minute.", "{n} more minutes.", minutes);
}

function timerSentence(before, after, room, you) {
  if (!before || !after) return "";
  if (after.state === "running" && (before.state === "idle" || before.state === "done")) {
    return room.step.kind === "round" && you && you.group
      ? `${t("The turn has started.")} ${roleSentence(room, you)}` : t("The timer has started.");
  }
  if (before.state === "running" && after.state === "paused") return t("Paused.");
  if (before.state === "paused" && after.state === "running") return t("Resumed.");
  if (before.state === "running" && after.state === "done") {
    return serverNow() >= before.deadline - LATE_MS ? t("Time is up.") : t("The timer was stopped.");
  }
  if (before.state === after.state && after.duration_ms > before.duration_ms) {
    return extraTime(after.duration_ms - before.duration_ms);
  }
  return "";
}

function feedbackSentence(before, after) {
  const was = before || {};
  const now = after || {};
  if (now.open && !was.open) return t("The feedback form is open.");
  if (!now.open && was.open) return t("The feedback form is closed.");
  return "";
}

/** Describe one change, from (room, you) before it to (room, you) after it, in a sentence or two. */
export function describe(before, after) {
  const { room, you } = after;
  if (!room || !you || !before.room || !before.you) return "";
  if (room.status === "ended") return before.room.status === "ended" ? "" : t("The workshop has ended.");
  const said = [];
  const message = room.message;
  const oldMessage = before.room.message;
  const stepChanged = before.room.step.index !== room.step.index;
  const groupBefore = before.you.group;
  const group = you.group;
  const newGroup = group && (!groupBefore || groupBefore.id !== group.id);
  if (stepChanged) {
    said.push(`${room.step.title}.`);
    if (newGroup) said.push(partnerSentence(you));
    if (room.step.kind === "round" && group) said.push(turnSentence(room, you));
    if (room.step.kind === "feedback" && room.feedback && room.feedback.open) said.push(t("The feedback form is open."));
  } else {
    const phaseBefore = before.room.phase;
    const phase = room.phase;
    const phaseChanged = phase && phaseBefore && phase.index !== phaseBefore.index;
    if (you.pending && !before.you.pending) {
      said.push(holdSentence(room, you));
    } else if (newGroup) {
      said.push(partnerSentence(you));
      if (room.step.kind === "round") said.push(turnSentence(room, you));
    } else if (groupBefore && !group) {
      said.push(you.waiting ? t("Your partner has left. You will have a new partner soon.") : t("You are not in a group now."));
    } else if (phaseChanged) {
      said.push(turnSentence(room, you));
    } else {
      said.push(timerSentence(before.room.timer, room.timer, room, you));
      if (group && groupBefore && group.prompt && group.prompt !== groupBefore.prompt) {
        said.push(t("New question: {prompt}", { prompt: group.prompt }));
      }
      if (group && group.done && !groupBefore.done && phase && phaseBefore && phase.index === phaseBefore.index) {
        said.push(t("Marked as done. Rest quietly until the next turn."));
      }
    }
    said.push(feedbackSentence(before.room.feedback, room.feedback));
    if (you.attendee.agreed && !before.you.attendee.agreed) said.push(t("Thank you. Waiting for the others."));
    if (you.attendee.answered && !before.you.attendee.answered) said.push(t("Your feedback was sent. Thank you."));
  }
  if (message && (!oldMessage || oldMessage.id !== message.id)) said.push(t("Message from your facilitator: {text}", { text: message.text }));
  return said.filter(Boolean).join(" ");
}

export class Narrator {
  /** `region` is the page's one polite live region; it stays on the page for the whole visit. */
  constructor(region) {
    this.region = region;
    this.before = null; // the state when the change being gathered began
    this.handle = null;
    this.current = { room: null, you: null };
  }

  /** Record the state after an event; describe the whole change once the events settle. */
  update(room, you) {
    if (!this.current.room || !this.current.you) {
      this.current = { room, you }; // the first full state is drawn, not said
      return;
    }
    if (!this.before) this.before = { ...this.current };
    this.current = { room, you };
    clearTimeout(this.handle);
    this.handle = setTimeout(() => this.flush(), SETTLE_MS);
  }

  flush() {
    const before = this.before;
    this.before = null;
    if (!before) return;
    this.say(describe(before, this.current));
  }

  /** Say a sentence now (an error, a minute mark), unless a change is being gathered. */
  say(text) {
    if (text) announce(this.region, text);
  }
}
