// What a round means for one attendee: their role in this turn, their partners, the turn number.
import { listNames } from "./dom.js";
import { t, tn } from "./i18n.js";

// The pair colours the server names (core/view.py PAIR_COLOURS), in words for people.
const COLOURS = {
  blue: t("blue"), orange: t("orange"), green: t("green"), purple: t("purple"),
  pink: t("pink"), teal: t("teal"), gold: t("gold"), red: t("red"),
};

/** A pair colour in the page's language. */
export function colourName(colour) {
  return COLOURS[colour] || colour;
}

/** A member's name as it reads inside a sentence. */
export function memberName(member) {
  return member.id === "facilitator" ? t("your facilitator") : member.name;
}

/** The other people in the attendee's group. */
export function partnersOf(you) {
  if (!you || !you.group) return [];
  return you.group.members.filter((m) => m.id !== you.attendee.id);
}

/** Who does what in the current turn, from room.phase.speaker and the attendee's role. */
export function roleFor(room, you) {
  const phase = room.phase;
  const group = you && you.group;
  const cues = (room.step && room.step.cues) || {};
  if (!phase || !group) return null;
  const { speaker } = phase;
  if (speaker === null || speaker === undefined) {
    return { kind: "complete", heading: t("Round complete"), cue: t("Thank each other for what you shared.") };
  }
  if (speaker === "both") return { kind: "both", heading: phase.title || t("Reflect together"), cue: cues.both };
  if (speaker === "C" && group.members.length === 2) {
    return { kind: "both", heading: phase.pair_title || t("Open conversation"), cue: cues.both };
  }
  if (speaker === group.role) return { kind: "speak", heading: t("You speak"), cue: cues.speak };
  const talker = group.members.find((m) => m.role === speaker);
  const name = talker ? memberName(talker) : `${speaker}`;
  return { kind: "listen", heading: t("You listen, {name} speaks", { name }), cue: cues.listen };
}

/** The names of the others in the group, as they read in a sentence: "Eli", "Eli and Sam". */
function othersOf(you) {
  return listNames(partnersOf(you).map(memberName));
}

/** The part of the role heading that names the partner: " — Eli listens", " — with Eli", or "". */
export function rolePartner(role, you) {
  const others = partnersOf(you);
  if (!role || !others.length) return "";
  if (role.kind === "speak") return ` — ${tn("{names} listens", "{names} listen", others.length, { names: othersOf(you) })}`;
  if (role.kind === "both") return ` — ${t("with {names}", { names: othersOf(you) })}`;
  return "";
}

/** One sentence saying who does what now: "You listen, Eli speaks." */
export function roleSentence(room, you) {
  const role = roleFor(room, you);
  if (!role) return "";
  const others = partnersOf(you);
  if (role.kind === "speak") {
    return others.length
      ? tn("You speak, {names} listens.", "You speak, {names} listen.", others.length, { names: othersOf(you) })
      : t("You speak.");
  }
  if (role.kind === "both") {
    return others.length ? t("{heading}, with {names}.", { heading: role.heading, names: othersOf(you) }) : `${role.heading}.`;
  }
  if (role.kind === "complete") return `${role.heading}. ${role.cue}`;
  return `${role.heading}.`;
}

/** The pair label everyone in the group sees: "Pair 7 · teal", or "" when the server sends none. */
export function pairLabel(group) {
  if (!group || !group.number) return "";
  return group.colour
    ? t("Pair {number} · {colour}", { number: group.number, colour: colourName(group.colour) })
    : t("Pair {number}", { number: group.number });
}

/**
 * The turn's number for people, "Turn 2 of 3": the server's phase.number when it sends one; otherwise
 * the server counts the triads' extra turn in phase.index even when it is skipped, so the number is
 * mapped back onto step.turns.
 */
export function turnLabel(room) {
  const phase = room.phase;
  if (!phase || phase.speaker === null || phase.speaker === undefined) return "";
  if (phase.number && phase.count) return t("Turn {number} of {count}", { number: phase.number, count: phase.count });
  const turns = (room.step && room.step.turns) || [];
  let number = phase.index + 1;
  let lastSolo = -1;
  turns.forEach((turn, i) => { if (turn.speaker === "A" || turn.speaker === "B") lastSolo = i; });
  const triadTurnAt = lastSolo + 1;
  if (lastSolo >= 0 && phase.count === turns.length && phase.index > triadTurnAt) number -= 1;
  number = Math.max(1, Math.min(number, phase.count || number));
  return phase.count ? t("Turn {number} of {count}", { number, count: phase.count }) : "";
}
