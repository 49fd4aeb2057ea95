// The attendee's phone: join with a first name, then follow the room (docs/protocol.md).
import { resync, startClock } from "./clock.js";
import { bindChimeToggle, chime, unlockAudio, unlockOnFirstGesture } from "./chime.js";
import { Countdown } from "./countdown.js";
import { el, load, replace, store } from "./dom.js";
import { bindLanguageSwitch, followPreference, LANG, t } from "./i18n.js";
import { Narrator } from "./narrator.js";
import { haltScreen, screenFor } from "./screens.js";
import { command, connect, onReturn, reconnectNow } from "./socket.js";
import { ScreenKeeper } from "./wake.js";

const CODE = document.body.dataset.code;
const TITLE = document.body.dataset.title || "Heart to Heart";
const TOKEN_KEY = `h2h:${CODE}`;
const DRAFT_KEY = `h2h-draft:${CODE}`;
const HIDDEN_MESSAGE_KEY = `h2h-hidden-message:${CODE}`;
const MET_KEY = `h2h-met:${CODE}`; // the group whose "new partner" moment was seen
const CHIME_GAP_MS = 1500; // a timer ending and the turn change it causes are one change
const SAY_OFFLINE_AFTER_MS = 3000; // a blip of the venue's Wi-Fi is not worth a sentence
const LOCKED = document.body.dataset.locked === "true";
// The join key of this room, given by the page only once its code was found: it lets the join (and a
// reload of this link) skip the wait others on this network may cause by guessing codes.
const JOIN_KEY = document.body.dataset.joinKey || "";
if (JOIN_KEY && new URLSearchParams(location.search).get("k") !== JOIN_KEY) {
  history.replaceState(null, "", `/j/${encodeURIComponent(CODE)}?k=${encodeURIComponent(JOIN_KEY)}`);
}

const view = document.getElementById("view");
const polite = document.getElementById("announcer");
const connection = document.getElementById("connection");
const banner = document.getElementById("banner");
const bannerLine = document.getElementById("banner-line");
const bannerText = document.getElementById("banner-text");
const bannerMore = document.getElementById("banner-more");
const me = document.getElementById("me");
const meName = document.getElementById("me-name");
const wakeNote = document.getElementById("wake-note");

let token = load(TOKEN_KEY);
let socket = null;
let room = null;
let you = null;
let agreements = null; // sent on connect while this attendee has yet to accept them (not in `you`: it stays small)
let halted = null; // "replaced" | "removed" | "unavailable" | "join"
let haltMessage = "";
let shownKey = null;
let lastChime = 0;
let everConnected = false;
let youPhase = null; // the turn (phase.index) the latest `you` was sent in: its `done` holds for that turn only
let focusHeading = false; // the control that had focus is gone: the next screen's heading takes it
let offlineSince = null;
let saidOffline = false;
let offlineTimer = null;

const narrator = new Narrator(polite);
const WAKE_NOTES = {
  unavailable: t("This page cannot keep your screen awake over this connection (that needs https): set your phone's screen lock to a few minutes during the workshop."),
  refused: t("Your phone did not let this page keep the screen awake (battery saver?): set its screen lock to a few minutes during the workshop."),
};
const keeper = new ScreenKeeper((state) => {
  wakeNote.hidden = !WAKE_NOTES[state];
  wakeNote.textContent = WAKE_NOTES[state] || "";
});

// Time running out says nothing by itself: the server's next turn (or "Time is up.") follows it.
const countdown = new Countdown({ size: "big", onEnded: () => ring(), onMinute: (text) => narrator.say(text) });

const ctx = {
  countdown,
  draftKey: DRAFT_KEY,
  unlock: unlockAudio,
  say: (text) => narrator.say(text),
  act: (event, payload = {}) => (socket ? command(socket, event, payload) : Promise.resolve({ ok: false, error: t("Not connected yet.") })),
  takeOver: () => { halted = null; shownKey = null; showConnection(); socket.connect(); },
  dismissPartner: () => { seeGroup(); focusHeading = true; render(); },
};

function ring() {
  const now = Date.now();
  if (now - lastChime < CHIME_GAP_MS) return;
  lastChime = now;
  chime();
}

// -- joining -------------------------------------------------------------------

function showLocked() {
  halted = "join";
  shownKey = "locked";
  replace(view, el("section", { class: "screen stack" },
    el("p", { class: "kicker" }, TITLE),
    el("h1", { class: "step-heading", tabindex: "-1" }, t("This workshop is closed to newcomers")),
    el("div", { class: "card calm stack-sm" },
      el("p", {}, t("The facilitator has closed this room, so nobody new can join it now. If you were here before on this phone, it still lets you back in.")),
      el("p", {}, t("Ask the facilitator to open it, then reload this page.")),
      el("p", {}, el("a", { href: "/join", class: "button secondary" }, t("Enter another code"))))));
}

function showJoin(reason = "") {
  if (LOCKED && !reason) {
    showLocked();
    return;
  }
  halted = "join";
  shownKey = "join";
  const input = el("input", {
    id: "name", name: "name", type: "text", autocomplete: "given-name", autocapitalize: "words",
    spellcheck: "false", enterkeyhint: "go", required: true, "aria-describedby": "name-hint name-error",
  });
  const error = el("p", { class: "notice error", id: "name-error", hidden: !reason }, reason);
  const showError = (text) => {
    error.textContent = text;
    error.hidden = !text;
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  input.addEventListener("input", () => { if (!error.hidden && input.value.trim()) showError(""); });
  const button = el("button", { type: "submit", class: "button block big" }, t("Join"));
  const form = el("form", { class: "stack", novalidate: true },
    el("div", { class: "field" },
      el("label", { for: "name" }, t("Your first name")),
      el("p", { class: "hint", id: "name-hint" }, t("Your partners will see it. Any language, emoji welcome.")),
      input),
    error, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.getAttribute("aria-disabled") === "true") return;
    unlockAudio();
    const name = input.value.trim();
    const length = [...name].length;
    if (!length || length > 40) {
      showError(length ? t("Please keep your name to {limit} characters.", { limit: 40 }) : t("Please type your first name."));
      input.focus();
      return;
    }
    // Busy without `disabled`: the focused button keeps focus until the first screen replaces it.
    button.setAttribute("aria-disabled", "true");
    button.textContent = t("Joining…");
    const result = await join(name);
    if (result.token) {
      token = result.token;
      store(TOKEN_KEY, token);
      halted = null;
      shownKey = null;
      focusHeading = view.contains(document.activeElement);
      startSocket();
    } else {
      button.removeAttribute("aria-disabled");
      button.textContent = t("Join");
      showError(result.error);
      narrator.say(result.error);
    }
  });
  replace(view, el("section", { class: "screen stack" },
    el("p", { class: "kicker" }, t("Welcome to")),
    el("h1", { class: "step-heading", tabindex: "-1" }, TITLE),
    el("p", { class: "lead" }, t("You will talk in pairs, taking turns to speak and to listen. This page shows your partner, your question and the time.")),
    el("div", { class: "card" }, form)));
  if (reason) showError(reason);
  else input.focus({ preventScroll: true });
}

async function join(name) {
  try {
    const response = await fetch(`/api/join?lang=${encodeURIComponent(LANG)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: CODE, name, join_key: JOIN_KEY || null }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok && data.token) return data;
    return { error: data.error || t("Joining did not work. Please try again.") };
  } catch {
    return { error: t("Could not reach the workshop. Check your connection and try again.") };
  }
}

// -- connection ----------------------------------------------------------------

function startSocket() {
  if (socket) {
    socket.connect();
    return;
  }
  socket = connect(() => ({ role: "attendee", code: CODE, token }));
  startClock(socket);
  socket.on("connect", () => { everConnected = true; showConnection(); });
  socket.on("disconnect", () => showConnection());
  socket.io.on("reconnect_attempt", () => showConnection());
  socket.on("connect_error", (err) => {
    const code = err && err.data && err.data.code;
    const message = (err && err.data && err.data.message) || (err && err.message) || "";
    if (room && room.status === "ended") {
      // The workshop ended while we were here: keep the thank-you screen.
    } else if (code === "unknown_attendee") {
      store(TOKEN_KEY, null);
      token = null;
      room = null;
      you = null;
      showJoin("");
    } else if (code === "rate_limited") {
      // Too many tries from this network (not this phone's fault): try again when told.
      const seconds = (err.data && err.data.retry_after) || 10;
      setTimeout(() => { if (socket && !socket.connected && !halted) socket.connect(); }, seconds * 1000);
    } else if (code === "removed" || code === "room_ended" || code === "room_unavailable" || code === "bad_auth") {
      halt(code === "removed" ? "removed" : "unavailable", code === "bad_auth" ? message : "");
    }
    showConnection();
  });
  socket.on("room", (data) => {
    if (room && data.code === room.code && data.seq < room.seq) return;
    const before = room;
    room = data;
    react(before, you);
    render();
  });
  socket.on("agreements", (data) => { agreements = data; });
  socket.on("you", (data) => {
    const before = you;
    you = data;
    youPhase = room && room.phase ? room.phase.index : null;
    react(room, before);
    render();
  });
  socket.on("replaced", () => halt("replaced"));
  socket.on("removed", () => halt("removed"));
}

function halt(kind, message = "") {
  halted = kind;
  haltMessage = message;
  shownKey = null;
  render();
}

function showConnection() {
  const down = socket && !socket.connected && !halted;
  connection.hidden = !down || (!everConnected && !socket.active);
  connection.textContent = everConnected ? t("Reconnecting…") : t("Connecting…");
  // Say a lasting drop once, and its end once; the Wi-Fi's blips stay silent.
  if (down && everConnected && offlineSince === null) {
    offlineSince = Date.now();
    offlineTimer = setTimeout(() => { saidOffline = true; narrator.say(t("Connection lost. Reconnecting…")); }, SAY_OFFLINE_AFTER_MS);
  } else if (!down && offlineSince !== null) {
    clearTimeout(offlineTimer);
    offlineSince = null;
    if (saidOffline) narrator.say(t("Connected again."));
    saidOffline = false;
  }
}

onReturn(() => {
  if (socket && !socket.connected && !halted) reconnectNow(socket);
  else if (socket && socket.connected) resync();
  countdown.render();
});

// -- reacting to changes: chime, vibrate and announce once per change -----------------

/** The attendee's view with a `done` mark only for the turn it was sent in (docs/protocol.md, `groups`). */
function current() {
  if (!you || !you.group || !you.group.done || !room || !room.phase || room.phase.index === youPhase) return you;
  return { ...you, group: { ...you.group, done: false } };
}

function react(roomBefore, youBefore) {
  if (!room || !you) return;
  const prev = roomBefore && youBefore ? { room: roomBefore, you: youBefore } : null;
  showBanner();
  narrator.update(room, current());
  if (!prev) return; // the first full state is drawn silently
  const stepChanged = prev.room.step.index !== room.step.index;
  const phaseChanged = !stepChanged && room.phase && prev.room.phase && room.phase.index !== prev.room.phase.index;
  const groupBefore = youBefore && youBefore.group;
  if (phaseChanged || (you.group && (!groupBefore || groupBefore.id !== you.group.id))) ring();
  if (you.attendee.answered && !(youBefore && youBefore.attendee.answered)) store(DRAFT_KEY, null);
}

function showBanner() {
  const message = room.message;
  const hiddenId = Number(sessionStorage.getItem(HIDDEN_MESSAGE_KEY) || 0);
  const wasShowing = !banner.hidden && bannerText.textContent;
  banner.hidden = !message || message.id === hiddenId;
  if (!message) return;
  if (bannerText.textContent !== message.text) {
    bannerText.textContent = message.text;
    if (wasShowing) setExpanded(false);
  }
  fitBanner();
}

// The message takes one line, so that the countdown stays in view; "More" shows the rest.
function setExpanded(expanded) {
  banner.classList.toggle("expanded", expanded);
  bannerMore.setAttribute("aria-expanded", String(expanded));
  bannerMore.textContent = expanded ? t("Less") : t("More");
}

function fitBanner() {
  if (banner.hidden) return;
  const expanded = banner.classList.contains("expanded");
  bannerMore.hidden = !expanded && bannerLine.scrollWidth <= bannerLine.clientWidth + 1;
}

bannerMore.addEventListener("click", () => setExpanded(!banner.classList.contains("expanded")));
window.addEventListener("resize", fitBanner);

document.getElementById("banner-hide").addEventListener("click", () => {
  if (room && room.message) sessionStorage.setItem(HIDDEN_MESSAGE_KEY, String(room.message.id));
  banner.hidden = true;
  focusViewHeading();
});

function focusViewHeading() {
  const heading = view.querySelector("h1");
  if (heading) heading.focus({ preventScroll: false });
  else document.getElementById("main").focus({ preventScroll: true });
}

// -- the "new partner" moment ----------------------------------------------------------

function seeGroup() {
  if (you && you.group) store(MET_KEY, you.group.id);
}

/** Show the moment for a group not yet seen, on the steps that pair people, until its turn runs. */
function newPartnerDue() {
  if (!room || !you || !you.group || room.status !== "open") return false;
  if (room.step.kind !== "pairing" && room.step.kind !== "round") return false;
  if (load(MET_KEY) === you.group.id) return false;
  const running = room.timer && (room.timer.state === "running" || room.timer.state === "paused");
  if (running) {
    seeGroup(); // the timer runs: the moment folds into the pair badge, never over the countdown
    return false;
  }
  return true;
}

// -- drawing -------------------------------------------------------------------

function screenKey(shown, newPartner) {
  if (halted) return `halt:${halted}`;
  return JSON.stringify([room.status, room.step.index, room.phase, room.timer && room.timer.state,
    room.feedback, shown, Boolean(room.timer), newPartner]);
}

/** Where focus was, to put it back on the same control in the new screen (or on its heading). */
function focusWas() {
  const active = document.activeElement;
  if (!active || active === view || !view.contains(active)) return null;
  return { key: active.dataset.focus, id: active.id };
}

function refocus(was) {
  const again = was && ((was.key && view.querySelector(`[data-focus="${CSS.escape(was.key)}"]`))
    || (was.id && document.getElementById(was.id)));
  if (again && view.contains(again)) again.focus({ preventScroll: true });
  else if (was || focusHeading) focusViewHeading();
  focusHeading = false;
}

function render() {
  if (halted) banner.hidden = true;
  if (halted === "join") return;
  if (!halted && (!room || !you)) return;
  const shown = halted ? null : current();
  const newPartner = !halted && newPartnerDue();
  const key = screenKey(shown, newPartner);
  if (key !== shownKey) {
    const was = focusWas();
    const screen = halted
      ? haltScreen(halted, { ...ctx, message: haltMessage })
      : screenFor(room, shown, { ...ctx, newPartner, agreements });
    replace(view, screen);
    shownKey = key;
    refocus(was);
  }
  if (!halted) countdown.set(room.timer);
  showMe();
  keeper.want(!halted && room && room.status === "open" && room.step.kind === "round" && room.timer
    && room.timer.state === "running" && Boolean(you && you.group));
  showConnection();
}

function showMe() {
  const name = !halted && you ? you.attendee.name : "";
  me.hidden = !name;
  meName.textContent = name;
}

// -- start -----------------------------------------------------------------------

function start() {
  bindLanguageSwitch();
  document.getElementById("loading").hidden = false;
  bindChimeToggle(document.getElementById("sound-toggle"));
  unlockOnFirstGesture();
  if (token) startSocket();
  else showJoin();
}

// A language chosen on this phone earlier but missing from this page reloads it in that language.
if (!followPreference()) start();
