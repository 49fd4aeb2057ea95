// What a round means for one attendee: their role in this turn, their partners, the turn number.

/** A member's name as it reads inside a sentence. */
export function memberName(member) {
  return member.id === "facilitator" ? "your facilitator" : member.name;
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
    return { kind: "complete", heading: "Round complete", cue: "Thank each other for what you shared." };
  }
  if (speaker === "both") return { kind: "both", heading: phase.title || "Reflect together", cue: cues.both };
  if (speaker === "C" && group.members.length === 2) {
    return { kind: "both", heading: phase.pair_title || "Open conversation", cue: cues.both };
  }
  if (speaker === group.role) return { kind: "speak", heading: "You speak", cue: cues.speak };
  const talker = group.members.find((m) => m.role === speaker);
  const name = talker ? memberName(talker) : `${speaker}`;
  return { kind: "listen", heading: `You listen, ${name} speaks`, cue: cues.listen };
}

/**
 * The turn's number for people, "Turn 2 of 3". The server counts the triads' extra turn in
 * phase.index even when it is skipped, so the number is mapped back onto step.turns.
 */
export function turnLabel(room) {
  const phase = room.phase;
  if (!phase || phase.speaker === null || phase.speaker === undefined) return "";
  const turns = (room.step && room.step.turns) || [];
  let number = phase.index + 1;
  let lastSolo = -1;
  turns.forEach((turn, i) => { if (turn.speaker === "A" || turn.speaker === "B") lastSolo = i; });
  const triadTurnAt = lastSolo + 1;
  if (lastSolo >= 0 && phase.count === turns.length && phase.index > triadTurnAt) number -= 1;
  number = Math.max(1, Math.min(number, phase.count || number));
  return phase.count ? `Turn ${number} of ${phase.count}` : "";
}
