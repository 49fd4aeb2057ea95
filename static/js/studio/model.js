// The studio's agenda: the same structure as the YAML file (docs/agendas.md), and what each kind of step starts with.
//
// A new agenda, step or question starts with words in the studio's language (a Spanish studio writes
// "Bienvenida"), and a new agenda says that language: the facilitator writes on in it, or changes both.
import { formatNumber, LANG, t, tn } from "../i18n.js";

export const KINDS = {
  welcome: { label: t("Welcome"), help: t("The first words everyone reads on their phone as they arrive.") },
  agreements: { label: t("Agreements"), help: t("The promises the room makes; each person taps “I agree” before the first round.") },
  pairing: { label: t("Pairing"), help: t("Everyone is shown their partner, so that they can find each other and sit together.") },
  round: { label: t("Round"), help: t("A conversation in pairs: a question, then turns of speaking and listening.") },
  message: { label: t("Message"), help: t("A pause with a few words on every phone: a breath, a stretch, a thought.") },
  feedback: { label: t("Feedback form"), help: t("Anonymous questions at the end. An agenda has at most one.") },
  closing: { label: t("Closing"), help: t("The last words on everyone’s phone.") },
};

export const QUESTION_TYPES = {
  scale: t("A scale from 1 to 5"),
  single: t("One choice among options"),
  multiple: t("Any number of options"),
  text: t("Their own words"),
};

export const SPEAKERS = { A: t("A speaks, B listens"), B: t("B speaks, A listens"), both: t("Both talk together") };

/** A new step of a kind, with what it needs to be valid once titled. */
export function blankStep(kind) {
  const step = { kind, title: KINDS[kind].label };
  if (kind === "agreements") step.items = [t("What is said here stays here."), t("You can always pass.")];
  if (kind === "message") step.text = t("Take a slow breath.");
  if (kind === "round") {
    step.title = t("A round");
    step.prompts = [t("What is on your heart today?")];
    step.turns = [{ speaker: "A", minutes: 3 }, { speaker: "B", minutes: 3 }];
  }
  if (kind === "feedback") step.questions = [blankQuestion("scale", "felt_heard")];
  return step;
}

export function blankQuestion(type, id) {
  const question = { id, type, text: "" };
  if (type === "single" || type === "multiple") question.options = [t("Yes"), t("No")];
  return question;
}

/** A question id not yet used in a form: q1, q2... */
export function freshId(questions) {
  const used = new Set(questions.map((q) => q.id));
  let n = questions.length + 1;
  while (used.has(`q${n}`)) n += 1;
  return `q${n}`;
}

export function blankAgenda() {
  return { title: t("My workshop"), language: LANG, steps: [{ kind: "welcome", title: KINDS.welcome.label, text: "" }] };
}

const number = (value) => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/** Every timed minute of the agenda: each step's timer and each turn of each round. */
export function totalMinutes(agenda) {
  let total = 0;
  for (const step of agenda.steps || []) {
    total += number(step.minutes);
    for (const turn of step.turns || []) total += number(turn.minutes);
  }
  return total;
}

/** "32 minutes", "1 hour 5 minutes", "2½ minutes", in the page's language. */
export function spokenMinutes(total) {
  const rounded = Math.round(total * 4) / 4;
  const hours = Math.floor(rounded / 60);
  const rest = rounded - hours * 60;
  const whole = Math.floor(rest);
  const part = { 0: "", 0.25: "¼", 0.5: "½", 0.75: "¾" }[rest - whole];
  const count = `${whole ? formatNumber(whole) : ""}${part}`;
  const minutes = rest ? tn("{n} minute", "{n} minutes", rest, { n: count }) : "";
  if (!hours) return minutes || tn("{n} minute", "{n} minutes", 0);
  const spokenHours = tn("{n} hour", "{n} hours", hours);
  return minutes ? t("{hours} {minutes}", { hours: spokenHours, minutes }) : spokenHours;
}

/** Move an item of a list by `by` places (−1 up, +1 down); return its new index. */
export function move(list, index, by) {
  const to = Math.max(0, Math.min(list.length - 1, index + by));
  const [item] = list.splice(index, 1);
  list.splice(to, 0, item);
  return to;
}

/** Split "steps[2].turns[1].minutes" into ["steps", 1, "turns", 0, "minutes"] (the file's 1-based numbers). */
export function parsePath(path) {
  const parts = [];
  for (const piece of path.split(".")) {
    const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(piece);
    if (!match) return null;
    parts.push(match[1]);
    for (const index of match[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(index[1]) - 1);
  }
  return parts;
}

/** Set (or delete, for undefined) the value at a path, creating mappings on the way. */
export function setPath(root, path, value) {
  const parts = parsePath(path);
  let target = root;
  for (const key of parts.slice(0, -1)) {
    if (target[key] === undefined || target[key] === null) target[key] = {};
    target = target[key];
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = value;
}

export function getPath(root, path) {
  let target = root;
  for (const key of parsePath(path)) {
    if (target === undefined || target === null) return undefined;
    target = target[key];
  }
  return target;
}
