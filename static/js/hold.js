// What a phone says while its person waits for the next turn: why, and when they will join.
import { remainingOf } from "./countdown.js";
import { t, tn } from "./i18n.js";

/** "in about 2 minutes", "in under a minute", or "when your facilitator resumes" while paused. */
export function whenNext(room) {
  const timer = room.timer;
  if (!timer || timer.state === "done") return t("in a moment");
  if (timer.state === "paused") return t("once your facilitator resumes the round");
  const minutes = Math.round(remainingOf(timer) / 60000);
  if (minutes < 1) return t("in under a minute");
  return tn("in about {n} minute", "in about {n} minutes", minutes);
}

/** The waiting screen's words: a title and a line, warm and specific to the reason. */
export function holdWords(room, you) {
  const hold = you.pending;
  const when = whenNext(room);
  if (hold.reason === "partner_left") {
    return {
      title: hold.partner ? t("{name} had to step away.", { name: hold.partner }) : t("Your partner had to step away."),
      line: t("Stay with the question a moment. You'll be placed with someone when the next turn starts, {when}.",
        { when }),
    };
  }
  return {
    title: hold.reason === "back" ? t("Welcome back.") : t("Welcome. A conversation is under way."),
    line: t("You'll join a pair when the next turn starts, {when}. Take a slow breath meanwhile.", { when }),
  };
}

/** One sentence for the live region when someone starts to wait. */
export function holdSentence(room, you) {
  const words = holdWords(room, you);
  return `${words.title} ${words.line}`;
}
