// A soft, generated bell (no audio files) and a short vibration; never a buzzer.
import { load, store } from "./dom.js";
import { t } from "./i18n.js";

const SETTING = "h2h-chime";
let context = null;

/** Whether the user wants the chime (on unless turned off). */
export function chimeEnabled() {
  return load(SETTING) !== "off";
}

export function setChimeEnabled(on) {
  store(SETTING, on ? "on" : "off");
}

/** Create or resume the audio context; call from a user gesture (a tap) so phones allow sound. */
export function unlockAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  try {
    if (!context) context = new Context();
    if (context.state === "suspended") context.resume();
    if (!unlockAudio.primed) {
      // A silent blip: iOS only unlocks output after something is played inside the gesture.
      const gain = context.createGain();
      gain.gain.value = 0;
      const osc = context.createOscillator();
      osc.connect(gain).connect(context.destination);
      osc.start();
      osc.stop(context.currentTime + 0.01);
      unlockAudio.primed = true;
    }
  } catch {
    context = null;
  }
}

/** Unlock audio on the first tap or key press anywhere on the page. */
export function unlockOnFirstGesture() {
  const once = () => {
    unlockAudio();
    window.removeEventListener("pointerdown", once, true);
    window.removeEventListener("keydown", once, true);
  };
  window.addEventListener("pointerdown", once, true);
  window.addEventListener("keydown", once, true);
}

/** Play the chime and vibrate, if the user has not turned it off. */
export function chime() {
  if (!chimeEnabled()) return;
  if (navigator.vibrate) {
    try { navigator.vibrate(200); } catch { /* not allowed without a gesture on some browsers */ }
  }
  if (!context || context.state !== "running") return;
  const now = context.currentTime + 0.02;
  const out = context.createGain();
  out.gain.value = 0.5;
  out.connect(context.destination);
  // A bell: a warm fundamental with two quieter, slightly inharmonic partials, slow attack, long fade.
  bell(out, 523.25, 0.32, now, 2.8);
  bell(out, 523.25 * 2.01, 0.12, now, 1.8);
  bell(out, 523.25 * 3.0, 0.05, now, 1.2);
  // A second, softer strike a fifth above, like a singing bowl answering.
  bell(out, 783.99, 0.18, now + 0.45, 2.6);
  bell(out, 783.99 * 2.01, 0.06, now + 0.45, 1.6);
}

function bell(destination, frequency, peak, start, length) {
  const osc = context.createOscillator();
  const gain = context.createGain();
  osc.type = "sine";
  osc.frequency.value = frequency;
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.linearRampToValueAtTime(peak, start + 0.04);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
  osc.connect(gain).connect(destination);
  osc.start(start);
  osc.stop(start + length + 0.05);
}

/** Wire a switch button (role="switch") to the chime setting. */
export function bindChimeToggle(button) {
  if (!button) return;
  const show = () => {
    const on = chimeEnabled();
    button.setAttribute("aria-checked", String(on));
    button.title = on ? t("The chime and vibration are on") : t("The chime and vibration are off");
  };
  button.hidden = false;
  show();
  button.addEventListener("click", () => {
    setChimeEnabled(!chimeEnabled());
    show();
    if (chimeEnabled()) { unlockAudio(); chime(); }
  });
}
