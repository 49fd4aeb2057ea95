// The facilitator's console: the whole room from one snapshot, then small deltas (docs/protocol.md).
import { Board } from "./board.js";
import { startClock } from "./clock.js";
import { Countdown } from "./countdown.js";
import { announce, el, load, store } from "./dom.js";
import { People } from "./people.js";
import { turnLabel } from "./roles.js";
import { command, connect, onReturn, reconnectNow } from "./socket.js";

const CODE = document.body.dataset.code;
const KEY_STORE = `h2h-key:${CODE}`;
const PROJECTOR_STORE = `h2h-projector:${CODE}`;
const KIND_TEXT = {
  welcome: "Welcome", agreements: "Agreements", pairing: "Pairing", round: "Round",
  message: "Message", feedback: "Feedback", closing: "Closing",
};
const $ = (id) => document.getElementById(id);

const state = { room: null, steps: [], odd: "triad", feedbackCount: 0 };
let socket = null;

// -- the key: from the fragment once, then from this browser's storage -------------------

function readKey() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromHash) {
    store(KEY_STORE, fromHash);
    history.replaceState(null, "", location.pathname + location.search); // keep it off the projector
    return fromHash;
  }
  return load(KEY_STORE);
}

function showNoKey(reason) {
  $("console").hidden = true;
  $("projector").hidden = true;
  $("no-key").hidden = false;
  if (reason) $("no-key-reason").textContent = reason;
}

// -- status line -----------------------------------------------------------------------

let sayTimer = null;
function say(text, kind = "") {
  const line = $("status");
  line.textContent = text;
  line.className = `status-line ${kind}`.trim();
  clearTimeout(sayTimer);
  // Confirmations fade after a while; errors stay until the next action.
  if (kind !== "error") sayTimer = setTimeout(() => { line.textContent = ""; }, 10000);
}

/** Send a command; show the server's refusal calmly. */
async function run(event, payload = {}, done = "") {
  const ack = await command(socket, event, payload);
  if (!ack.ok) say(ack.error || "That did not work.", "error");
  else if (done) say(done);
  return ack;
}

/** Wire a button to a command, disabling it while the command is in flight. */
function onPress(button, handler) {
  button.addEventListener("click", async () => {
    if (button.disabled) return;
    button.disabled = true;
    try { await handler(); } finally { button.disabled = false; updateControls(); }
  });
}

// -- pieces ----------------------------------------------------------------------------

const people = new People({
  list: $("people"), empty: $("people-empty"), counts: $("counts"), filter: $("people-filter"),
  onRemove: async (person) => {
    if (!person) return;
    const sure = window.confirm(`Remove ${person.name} from this workshop? Their phone will be told they were removed, and they cannot come back.`);
    if (sure) await run("remove_attendee", { attendee_id: person.id }, `${person.name} was removed.`);
  },
});

const board = new Board({
  root: $("groups"), waitingBox: $("waiting"), waitingList: $("waiting-list"), empty: $("groups-empty"),
  summary: $("board-summary"), hint: $("selection-hint"), filter: $("board-filter"),
  people: (id) => people.get(id),
  onSwap: (a, b) => run("swap_people", { a, b }, `Swapped ${nameOf(a)} and ${nameOf(b)}.`),
  onMove: (id, group) => run("move_person", { attendee_id: id, group_id: group }, `Moved ${nameOf(id)}.`),
});

const clock = new Countdown({ size: "big" });
const projectorClock = new Countdown({ size: "huge" });
$("timer-clock").append(clock.el);
$("projector-clock").append(projectorClock.el);

function nameOf(id) {
  return (people.get(id) || {}).name || "that person";
}

// -- drawing the room ----------------------------------------------------------------------

function drawRoom(previous) {
  const room = state.room;
  const step = room.step;
  const ended = room.status === "ended";
  document.title = `Console · ${CODE} · ${step.title}`;
  $("ended-notice").hidden = !ended;
  // An ended room has no join link any more: don't show a QR code that leads nowhere.
  for (const node of document.querySelectorAll(".qr, .projector-qr, .join-url, .projector-label")) node.hidden = ended;
  for (const img of document.querySelectorAll("img[data-src]")) if (!ended && !img.getAttribute("src")) img.src = img.dataset.src;
  $("step-kicker").textContent = `Step ${step.index + 1} of ${step.count || state.steps.length} · ${KIND_TEXT[step.kind] || step.kind}`;
  $("step-title").textContent = step.title;
  $("projector-step").textContent = step.title;

  const phase = room.phase;
  const turn = $("turn-info");
  if (step.kind === "round" && phase) {
    const label = phase.speaker == null ? "Round complete" : `${phase.title} · ${turnLabel(room)}`;
    turn.textContent = label;
    turn.hidden = false;
    $("projector-turn").textContent = phase.speaker == null ? "Round complete" : phase.title;
  } else {
    turn.hidden = true;
    $("projector-turn").textContent = "";
  }
  const stepOrPhaseChanged = !previous || previous.step.index !== step.index
    || (previous.phase && phase && previous.phase.index !== phase.index);
  if (previous && stepOrPhaseChanged) board.clearDone();

  clock.set(room.timer);
  projectorClock.set(room.timer);
  const t = room.timer;
  $("timer-state").textContent = !t ? "This step has no timer." : {
    idle: "Ready to start", running: "Running", paused: "Paused", done: "Time is up",
  }[t.state] || t.state;

  for (const item of $("steps").children) {
    const current = Number(item.dataset.index) === step.index;
    item.classList.toggle("current", current);
    const button = item.firstElementChild;
    if (current) button.setAttribute("aria-current", "step");
    else button.removeAttribute("aria-current");
  }
  if (!previous || previous.step.index !== step.index) {
    $("steps").querySelector(".current")?.scrollIntoView({ block: "nearest" });
  }

  const lock = $("lock-room");
  lock.textContent = room.locked ? "Unlock room" : "Lock room";
  $("lock-state").textContent = room.locked ? "Locked: only people already here can come back." : "Open to newcomers.";

  const message = room.message;
  $("message-current").textContent = message ? `Showing on every phone: “${message.text}”` : "No message is showing.";

  drawFeedback();
  updateControls();
}

function drawFeedback() {
  const fb = (state.room && state.room.feedback) || {};
  $("feedback-count").textContent = String(state.feedbackCount);
  $("feedback-count-label").textContent = state.feedbackCount === 1 ? "response" : "responses";
  $("feedback-state").textContent = fb.open ? "The form is open on every phone."
    : fb.closed ? "Closed. Results show in the report once enough people answered."
      : "Not open yet. Open it at the feedback step.";
}

function drawSteps() {
  const list = $("steps");
  list.replaceChildren(...state.steps.map((step) => el("li", { dataset: { index: step.index } },
    el("button", { type: "button", class: "step-button", dataset: { index: step.index } },
      el("span", { class: "step-number" }, String(step.index + 1)),
      el("span", { class: "step-name" }, step.title),
      redundant(step) ? null : el("span", { class: "step-kind" }, KIND_TEXT[step.kind] || step.kind)))));
}

function redundant(step) {
  const kind = (KIND_TEXT[step.kind] || step.kind).toLowerCase();
  return step.title.toLowerCase().includes(kind.replace(/s$/, ""));
}

function updateControls() {
  const room = state.room;
  if (!room) return;
  const ended = room.status === "ended";
  const t = room.timer;
  const step = room.step;
  const roundOver = step.kind === "round" && room.phase && room.phase.speaker == null;
  const set = (id, enabled) => { $(id).disabled = ended || !enabled; };
  set("timer-start", t && (t.state === "idle" || t.state === "done") && !roundOver);
  $("timer-start").textContent = t && t.state === "done" && step.kind !== "round" ? "Restart" : "Start";
  set("timer-pause", t && t.state === "running");
  set("timer-resume", t && t.state === "paused");
  set("timer-extend", t && t.state !== "done");
  set("timer-skip", t && (step.kind === "round" ? !roundOver : t.state === "running" || t.state === "paused"));
  set("prev-step", step.index > 0);
  set("next-step", step.index < state.steps.length - 1);
  const fb = room.feedback || {};
  set("feedback-open", !fb.open);
  set("feedback-close", fb.open);
  set("lock-room", true);
  set("pair-everyone", true);
  set("end-workshop", true);
  for (const input of document.querySelectorAll('input[name="odd"]')) {
    input.checked = input.value === state.odd;
    input.disabled = ended;
  }
  for (const button of $("steps").querySelectorAll("button")) button.disabled = ended;
  for (const button of document.querySelectorAll("#message-form button")) button.disabled = ended;

  const inRound = step.kind === "round" && room.phase && room.phase.speaker != null && t && t.state !== "idle";
  const done = $("done-info");
  done.hidden = !inRound || !board.groups.size;
  done.textContent = `${board.doneCount()} of ${board.groups.size} groups done with this turn`;
}

// -- the connection ------------------------------------------------------------------------

function start(key) {
  $("no-key").hidden = true;
  $("private-url").value = `${document.body.dataset.baseUrl || location.origin}/facilitate/${CODE}#key=${encodeURIComponent(key)}`;
  socket = connect({ role: "facilitator", code: CODE, key });
  startClock(socket);
  const connection = $("connection");
  socket.on("connect", () => { connection.textContent = "Connected"; connection.className = "connection ok"; });
  socket.on("disconnect", () => { connection.textContent = "Reconnecting…"; connection.className = "connection"; });
  socket.on("connect_error", (err) => {
    const code = err && err.data && err.data.code;
    if (code === "wrong_key" || code === "bad_auth") {
      store(KEY_STORE, null);
      socket.disconnect();
      showNoKey("This facilitator link is not valid for this room. Open the private link you got when you started the workshop.");
      return;
    }
    connection.textContent = "Reconnecting…";
    connection.className = "connection";
  });
  socket.on("console", (snapshot) => {
    $("console").hidden = false;
    setProjector(load(PROJECTOR_STORE) === "on");
    state.room = snapshot.room;
    state.steps = (snapshot.agenda && snapshot.agenda.steps) || [];
    state.odd = snapshot.odd || state.odd;
    if (snapshot.feedback && typeof snapshot.feedback.responses === "number") state.feedbackCount = snapshot.feedback.responses;
    if (snapshot.report_url) {
      $("report-link").hidden = false;
      $("report-link").querySelector("a").href = snapshot.report_url;
    }
    drawSteps();
    people.reset(snapshot.attendees || []);
    board.reset(snapshot.groups || [], snapshot.waiting || []);
    drawRoom(null);
  });
  socket.on("room", (room) => {
    if (state.room && room.seq < state.room.seq) return;
    const previous = state.room;
    state.room = room;
    if (room.odd) state.odd = room.odd;
    drawRoom(previous);
  });
  socket.on("attendee", (person) => {
    const before = people.upsert(person);
    board.updatePerson(person.id);
    if (person.moment && !(before && before.moment)) announce($("announcer"), `${person.name} needs a moment.`);
    updateControls();
  });
  socket.on("groups", (delta) => {
    board.apply(delta);
    updateControls();
  });
  socket.on("feedback_count", ({ responses }) => {
    state.feedbackCount = responses;
    drawFeedback();
  });
  onReturn(() => reconnectNow(socket));
}

// -- controls --------------------------------------------------------------------------------

function goTo(index) {
  const room = state.room;
  if (!room || index === room.step.index) return null;
  const target = state.steps[index];
  const distance = Math.abs(index - room.step.index);
  if (distance > 1 && !window.confirm(`Jump to step ${index + 1}, “${target.title}”? This moves everyone ${index > room.step.index ? "ahead" : "back"} ${distance} steps.`)) return null;
  return run("go_to_step", { index }, `Now at step ${index + 1}: ${target.title}.`);
}

$("steps").addEventListener("click", (event) => {
  const button = event.target.closest("button.step-button");
  if (button && !button.disabled) goTo(Number(button.dataset.index));
});
onPress($("prev-step"), () => goTo(state.room.step.index - 1));
onPress($("next-step"), () => goTo(state.room.step.index + 1));
onPress($("timer-start"), () => run("start_timer"));
onPress($("timer-pause"), () => run("pause_timer", {}, "Paused."));
onPress($("timer-resume"), () => run("resume_timer"));
onPress($("timer-extend"), () => run("extend_timer", { seconds: 60 }, "Added one minute."));
onPress($("timer-skip"), () => run("skip_timer"));
onPress($("pair-everyone"), () => run("pair_everyone", {}, "New groups formed."));
onPress($("lock-room"), () => {
  const locked = !state.room.locked;
  return run("lock_room", { locked }, locked ? "Room locked: nobody new can join." : "Room open to newcomers again.");
});
for (const input of document.querySelectorAll('input[name="odd"]')) {
  input.addEventListener("change", async () => {
    const before = state.odd;
    state.odd = input.value;
    const ack = await run("set_odd", { odd: input.value },
      input.value === "triad" ? "An odd person will join a group of three." : "You will partner an odd person.");
    if (!ack.ok) state.odd = before;
    updateControls();
  });
}
onPress($("feedback-open"), () => run("open_feedback", {}, "Feedback is open on every phone."));
onPress($("feedback-close"), () => {
  if (!window.confirm("Close the feedback form on every phone?")) return null;
  return run("close_feedback", {}, "Feedback closed.");
});
onPress($("end-workshop"), () => {
  if (!window.confirm("End this workshop for everyone? Timers stop and nobody can join any more.")) return null;
  return run("end_workshop", {}, "The workshop has ended.");
});

const messageText = $("message-text");
const messageCount = () => { $("message-count").textContent = `${[...messageText.value].length} / 280`; };
messageText.addEventListener("input", messageCount);
$("message-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = messageText.value.trim();
  if (!text) { say("Type a message first.", "error"); messageText.focus(); return; }
  const ack = await run("send_message", { text }, "Message sent to every phone.");
  if (ack.ok) { messageText.value = ""; messageCount(); }
});
onPress($("message-clear"), async () => {
  messageText.value = "";
  messageCount();
  return run("send_message", { text: "" }, "The message was taken down.");
});

onPress($("copy-link"), async () => {
  const input = $("private-url");
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand("copy");
  }
  say("Private link copied. Keep it to yourself.");
});

// -- projector view --------------------------------------------------------------------------

function setProjector(on, moveFocus = false) {
  document.body.classList.toggle("projecting", on);
  $("projector").hidden = !on;
  $("console").hidden = on;
  store(PROJECTOR_STORE, on ? "on" : null);
  if (moveFocus) $(on ? "projector-exit" : "projector-toggle").focus({ preventScroll: true });
}
$("projector-toggle").addEventListener("click", () => setProjector(true, true));
$("projector-exit").addEventListener("click", () => setProjector(false, true));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.body.classList.contains("projecting")) setProjector(false, true);
});

// -- start -------------------------------------------------------------------------------------

// A new private link pasted into this tab only changes the fragment: start again with it.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).get("key")) location.reload();
});

const key = readKey();
if (key) start(key);
else showNoKey();
