// A countdown drawn locally from the server's absolute deadline; no per-second messages needed.
import { onClockChange, serverNow } from "./clock.js";
import { announce, el } from "./dom.js";
import { t, tn } from "./i18n.js";

const LATE_END_MS = 5000; // a deadline passed longer ago than this (phone asleep) ends silently

/** Format milliseconds as m:ss (or h:mm:ss), rounding up so that 0:00 means time is up. */
export function formatMs(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function spoken(ms) {
  const minutes = Math.round(ms / 60000);
  return tn("{n} minute left", "{n} minutes left", minutes);
}

/** Remaining milliseconds of a room timer, right now. */
export function remainingOf(timer) {
  if (!timer) return 0;
  if (timer.state === "running") return Math.max(0, timer.deadline - serverNow());
  if (timer.state === "done") return 0;
  return Math.max(0, timer.remaining_ms || 0);
}

export class Countdown {
  /**
   * `onEnded(timer)` fires once per deadline; `announcer` gets minute marks (polite), or `onMinute(text)`
   * hears them instead when given (the phone's narrator).
   */
  constructor({ onEnded = null, announcer = null, onMinute = null, size = "" } = {}) {
    this.onEnded = onEnded;
    this.announcer = announcer;
    this.onMinute = onMinute;
    this.timer = null;
    this.armed = null; // the deadline we watched run, until it ends
    this.lastMinute = null;
    this.handle = null;
    this.digits = el("span", { class: "countdown-digits", role: "timer", "aria-atomic": "true" }, "0:00");
    this.caption = el("span", { class: "countdown-caption" });
    this.fill = el("span", { class: "countdown-fill" });
    this.bar = el("span", { class: "countdown-bar", "aria-hidden": "true" }, this.fill);
    this.el = el("div", { class: `countdown ${size}`.trim(), hidden: true }, this.digits, this.bar, this.caption);
    onClockChange(() => this.render());
  }

  /** Show a room timer (or hide for null). */
  set(timer) {
    const before = this.timer;
    this.timer = timer || null;
    if (before && this.armed !== null && before.deadline === this.armed) {
      const ended = !timer || timer.state === "done" || (timer.state === "running" && timer.deadline !== this.armed);
      if (ended && serverNow() - this.armed < LATE_END_MS) this.end(before);
      else if (!timer || timer.deadline !== this.armed) this.armed = null;
    }
    if (timer && timer.state === "running" && timer.deadline - serverNow() > 0) this.armed = timer.deadline;
    if (!timer || !before || timer.state !== before.state || timer.deadline !== before.deadline) this.lastMinute = null;
    this.render();
  }

  end(timer) {
    this.armed = null;
    if (this.onEnded) this.onEnded(timer);
  }

  render() {
    clearTimeout(this.handle);
    const timer = this.timer;
    this.el.hidden = !timer;
    if (!timer) return;
    const ms = remainingOf(timer);
    this.digits.textContent = formatMs(ms);
    this.el.dataset.state = timer.state;
    const total = timer.duration_ms || 0;
    this.fill.style.transform = `scaleX(${total ? Math.min(1, ms / total).toFixed(4) : 0})`;
    this.caption.textContent = {
      idle: t("Not started yet"), paused: t("Paused"), done: t("Time is up"),
    }[timer.state] || (ms > 0 ? t("left") : t("Time is up"));
    if (timer.state !== "running") return;
    this.announceMinute(ms);
    if (ms <= 0) {
      if (this.armed === timer.deadline) {
        if (serverNow() - timer.deadline < LATE_END_MS) this.end(timer);
        else this.armed = null;
      }
      return;
    }
    // Wake just after the displayed second changes, so every phone flips its digits together.
    const untilTick = ((Math.ceil(ms) - 1) % 1000) + 1;
    this.handle = setTimeout(() => this.render(), untilTick + 10);
  }

  announceMinute(ms) {
    if (!this.announcer && !this.onMinute) return;
    const minute = Math.ceil(ms / 60000);
    if (this.lastMinute !== null && minute < this.lastMinute && minute >= 1 && ms > 1000) {
      // Crossed a whole minute, such as 3:00 -> 2:59: say "3 minutes left" only at the mark itself.
      if (this.onMinute) this.onMinute(spoken(minute * 60000));
      else announce(this.announcer, spoken(minute * 60000));
    }
    this.lastMinute = minute;
  }
}
