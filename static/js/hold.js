// What a phone says while its person waits for the next turn: why, and when they will join.
import { remainingOf } from "./countdown.js";

/** "in about 2 minutes", "in under a minute", or "when your facilitator resumes" while paused. */
export function whenNext(room) {
  const timer = room.timer;
  if (!timer || timer.state === "done") return "in a moment";
  if (timer.state === "paused") return "once your facilitator resumes the round";
  const minutes = Math.round(remainingOf(timer) / 60000);
  if (minutes < 1) return "in under a minute";
  return minutes === 1 ? "in about 1 minute" : `in about ${minutes} minutes`;
}

/** The waiting screen's words: a title and a line, warm and specific to the reason. */
export function holdWords(room, you) {
  const hold = you.pending;
  const when = whenNext(room);
  if (hold.reason === "partner_left") {
    const who = hold.partner || "Your partner";
    return {
      title: `${who} had to step away.`,
      line: `Stay with the question a moment. You'll be placed with someone when the next turn starts, ${when}.`,
    };
  }
  return {
    title: hold.reason === "back" ? "Welcome back." : "Welcome. A conversation is under way.",
    line: `You'll join a pair when the next turn starts, ${when}. Take a slow breath meanwhile.`,
  };
}

/** One sentence for the live region when someone starts to wait. */
export function holdSentence(room, you) {
  const words = holdWords(room, you);
  return `${words.title} ${words.line}`;
}
