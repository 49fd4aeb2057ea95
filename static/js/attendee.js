// The attendee's phone: join with a first name, then follow the room (docs/protocol.md).
import { resync, startClock } from "./clock.js";
import { bindChimeToggle, chime, unlockAudio, unlockOnFirstGesture } from "./chime.js";
import { Countdown } from "./countdown.js";
import { announce, el, load, replace, store } from "./dom.js";
import { partnersOf, roleFor } from "./roles.js";
import { haltScreen, screenFor } from "./screens.js";
import { command, connect, onReturn, reconnectNow } from "./socket.js";

const CODE = document.body.dataset.code;
const TITLE = document.body.dataset.title || "Heart to Heart";
const TOKEN_KEY = `h2h:${CODE}`;
const DRAFT_KEY = `h2h-draft:${CODE}`;
const HIDDEN_MESSAGE_KEY = `h2h-hidden-message:${CODE}`;
const CHIME_GAP_MS = 1500; // a timer ending and the turn change it causes are one change

const view = document.getElementById("view");
const polite = document.getElementById("announcer");
const connection = document.getElementById("connection");
const banner = document.getElementById("banner");
const bannerText = document.getElementById("banner-text");

let token = load(TOKEN_KEY);
let socket = null;
let room = null;
let you = null;
let halted = null; // "replaced" | "removed" | "unavailable" | "join"
let haltMessage = "";
let shownKey = null;
let lastChime = 0;
let everConnected = false;

const countdown = new Countdown({
  announcer: polite,
  size: "big",
  onEnded: () => { ring(); announce(polite, "Time is up."); },
});

const ctx = {
  countdown,
  draftKey: DRAFT_KEY,
  unlock: unlockAudio,
  act: (event, payload = {}) => (socket ? command(socket, event, payload) : Promise.resolve({ ok: false, error: "Not connected yet." })),
  takeOver: () => { halted = null; shownKey = null; showConnection(); socket.connect(); },
};

function ring() {
  const now = Date.now();
  if (now - lastChime < CHIME_GAP_MS) return;
  lastChime = now;
  chime();
}

// -- joining -------------------------------------------------------------------

function showJoin(reason = "") {
  halted = "join";
  shownKey = "join";
  const input = el("input", {
    id: "name", name: "name", type: "text", autocomplete: "given-name", autocapitalize: "words",
    spellcheck: "false", enterkeyhint: "go", required: true, "aria-describedby": "name-hint name-error",
  });
  const error = el("p", { class: "notice error", id: "name-error", role: "alert", hidden: !reason }, reason);
  const button = el("button", { type: "submit", class: "button block big" }, "Join");
  const form = el("form", { class: "stack", novalidate: true },
    el("div", { class: "field" },
      el("label", { for: "name" }, "Your first name"),
      el("p", { class: "hint", id: "name-hint" }, "Your partners will see it. Any language, emoji welcome."),
      input),
    error, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    unlockAudio();
    const name = input.value.trim();
    const length = [...name].length;
    if (!length || length > 40) {
      error.textContent = length ? "Please keep your name to 40 characters." : "Please type your first name.";
      error.hidden = false;
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = "Joining…";
    const result = await join(name);
    if (result.token) {
      token = result.token;
      store(TOKEN_KEY, token);
      halted = null;
      replace(view, el("p", { class: "loading" }, "Connecting to the workshop…"));
      shownKey = null;
      startSocket();
    } else {
      button.disabled = false;
      button.textContent = "Join";
      error.textContent = result.error;
      error.hidden = false;
    }
  });
  replace(view, el("section", { class: "screen stack" },
    el("p", { class: "kicker" }, "Welcome to"),
    el("h1", { class: "step-heading" }, TITLE),
    el("p", { class: "lead" }, "You will talk in pairs, taking turns to speak and to listen. This page shows your partner, your question and the time."),
    el("div", { class: "card" }, form)));
  if (!reason) input.focus({ preventScroll: true });
}

async function join(name) {
  try {
    const response = await fetch("/api/join", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: CODE, name }),
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok && data.token) return data;
    return { error: data.error || "Joining did not work. Please try again." };
  } catch {
    return { error: "Could not reach the workshop. Check your connection and try again." };
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
  socket.on("you", (data) => {
    const before = you;
    you = data;
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
  connection.textContent = everConnected ? "Reconnecting…" : "Connecting…";
}

onReturn(() => {
  if (socket && !socket.connected && !halted) reconnectNow(socket);
  else if (socket && socket.connected) resync();
  countdown.render();
});

// -- reacting to changes: chime, vibrate and announce once per change -----------------

function react(roomBefore, youBefore) {
  if (!room || !you) return;
  const prev = roomBefore && youBefore ? { room: roomBefore, you: youBefore } : null;
  showBanner(prev ? prev.room.message : undefined);
  if (!prev) return; // the first full state is drawn silently
  const stepChanged = prev.room.step.index !== room.step.index;
  const phaseChanged = !stepChanged && room.phase && prev.room.phase && room.phase.index !== prev.room.phase.index;
  if (stepChanged) announce(polite, `Now: ${room.step.title}.`);
  if (phaseChanged) {
    ring();
    const role = roleFor(room, you);
    if (role) announce(polite, `${role.heading}. ${role.cue || ""}`);
  }
  const groupBefore = youBefore && youBefore.group;
  if (you.group && (!groupBefore || groupBefore.id !== you.group.id)) {
    const names = partnersOf(you).map((m) => m.name).join(" and ");
    if (names && !phaseChanged) announce(polite, `Your ${partnersOf(you).length > 1 ? "group" : "partner"}: ${names}.`);
  } else if (you.group && groupBefore && groupBefore.prompt !== you.group.prompt && !stepChanged) {
    announce(polite, `New question: ${you.group.prompt}`);
  }
  if (you.attendee.answered && !(youBefore && youBefore.attendee.answered)) store(DRAFT_KEY, null);
}

function showBanner(previousMessage) {
  const message = room.message;
  const hiddenId = Number(sessionStorage.getItem(HIDDEN_MESSAGE_KEY) || 0);
  banner.hidden = !message || message.id === hiddenId;
  if (!message) return;
  bannerText.textContent = message.text;
  const isNew = previousMessage !== undefined && (!previousMessage || previousMessage.id !== message.id);
  if (isNew && !banner.hidden) announce(polite, `Message from your facilitator: ${message.text}`);
}

document.getElementById("banner-hide").addEventListener("click", () => {
  if (room && room.message) sessionStorage.setItem(HIDDEN_MESSAGE_KEY, String(room.message.id));
  banner.hidden = true;
  document.getElementById("main").focus({ preventScroll: true });
});

// -- drawing -------------------------------------------------------------------

function screenKey() {
  if (halted) return `halt:${halted}`;
  return JSON.stringify([room.status, room.step.index, room.phase, room.timer && room.timer.state,
    room.feedback, you, Boolean(room.timer)]);
}

function render() {
  if (halted) banner.hidden = true;
  if (halted === "join") return;
  if (!halted && (!room || !you)) return;
  const key = screenKey();
  if (key !== shownKey) {
    const focused = document.activeElement && view.contains(document.activeElement)
      ? document.activeElement.dataset.focus : null;
    const screen = halted
      ? haltScreen(halted, { ...ctx, message: haltMessage })
      : screenFor(room, you, ctx);
    replace(view, screen);
    shownKey = key;
    if (focused) {
      const again = view.querySelector(`[data-focus="${CSS.escape(focused)}"]`);
      if (again) again.focus({ preventScroll: true });
    }
  }
  if (!halted) countdown.set(room.timer);
  showConnection();
}

// -- start -----------------------------------------------------------------------

document.getElementById("loading").hidden = false;
bindChimeToggle(document.getElementById("sound-toggle"));
unlockOnFirstGesture();
if (token) startSocket();
else showJoin();
