// Keep the phone's screen on during a turn, where the browser allows it (Screen Wake Lock API).
//
// The API exists only in a secure context (https, or localhost): over plain http on a venue's
// network it is missing, and the page says so quietly instead of failing. The browser releases the
// lock whenever the page is hidden, so it is asked for again when the page comes back.

/** Whether this page can keep the screen awake at all. */
export function wakeLockAvailable() {
  return Boolean(window.isSecureContext && navigator.wakeLock && navigator.wakeLock.request);
}

export class ScreenKeeper {
  /** `onState(state)` hears "held", "released", "refused" or "unavailable"; the state is also on <body>. */
  constructor(onState = () => {}) {
    this.wanted = false;
    this.lock = null;
    this.asking = null;
    this.onState = onState;
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.wanted) this.acquire();
    });
    this.show(wakeLockAvailable() ? "released" : "unavailable");
  }

  /** Keep the screen awake while `wanted` is true (a turn is running), and let it sleep otherwise. */
  want(wanted) {
    this.wanted = Boolean(wanted);
    if (this.wanted) this.acquire();
    else this.release();
  }

  async acquire() {
    if (!wakeLockAvailable() || this.lock || this.asking || document.visibilityState !== "visible") return;
    try {
      this.asking = navigator.wakeLock.request("screen");
      const lock = await this.asking;
      if (!this.wanted) {
        lock.release().catch(() => {});
        return;
      }
      this.lock = lock;
      lock.addEventListener("release", () => {
        if (this.lock === lock) this.lock = null;
        this.show("released");
      });
      this.show("held");
    } catch {
      this.show("refused"); // battery saver or a browser policy: the turn goes on all the same
    } finally {
      this.asking = null;
    }
  }

  release() {
    const lock = this.lock;
    this.lock = null;
    if (lock) lock.release().catch(() => {});
    if (wakeLockAvailable()) this.show("released");
  }

  show(state) {
    document.body.dataset.wake = state;
    this.onState(state);
  }
}
