// The facilitator's console: the whole room from one snapshot, then small deltas (docs/protocol.md).
import { Board } from "./board.js";
import { serverNow, startClock } from "./clock.js";
import { Countdown } from "./countdown.js";
import { el, load, store } from "./dom.js";
import { formatNumber, LANG, t, tn } from "./i18n.js";
import { People } from "./people.js";
import { command, connect, onReturn, reconnectNow } from "./socket.js";

const CODE = document.body.dataset.code;
const KEY_STORE = `h2h-key:${CODE}`;
const KIND_TEXT = {
  welcome: t("Welcome"), agreements: t("Agreements"), pairing: t("Pairing"), round: t("Round"),
  message: t("Message"), feedback: t("Feedback"), closing: t("Closing"),
};
const TIME_UP_MS = 500; // a turn that moves on this close to its deadline ran out; earlier, it was skipped
const $ = (id) => document.getElementById(id);

const state = { room: null, steps: [], odd: "triad", feedbackCount: 0 };
let socket = null;

store(`h2h-projector:${CODE}`, null); // the old in-tab projector mode is gone: forget its switch

// -- the key: from the fragment once, then from this browser's storage -------------------

function readKey() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromHash) {
    store(KEY_STORE, fromHash);
    history.replaceState(null, "", location.pathname + location.search); // keep it off the address bar
    return fromHash;
  }
  return load(KEY_STORE);
}

function showNoKey(reason) {
  $("console").hidden = true;
  $("no-key").hidden = false;
  if (reason) $("no-key-reason").textContent = reason;
}

// -- one voice: the status line people see, and one polite live region screen readers hear ----

const pending = [];
let flushTimer = null;
let fadeTimer = null;

/** Say something once: sentences arriving together (a command's echo and its ack) become one announcement. */
function tell(text, kind = "") {
  if (!text) return;
  pending.push(text);
  const line = $("status");
  line.textContent = pending.join(" ");
  line.className = `status-line ${kind}`.trim();
  clearTimeout(fadeTimer);
  if (kind !== "error") fadeTimer = setTimeout(() => { line.textContent = ""; }, 10000);
  if (flushTimer) return;
  flushTimer = setTimeout(() => {
    flushTimer = null;
    const region = $("announcer");
    const spoken = pending.splice(0).join(" ");
    region.textContent = "";
    // A fresh text node after a tick makes screen readers announce repeated text too.
    setTimeout(() => { region.textContent = spoken; }, 40);
  }, 150);
}

/** Send a command; say the server's refusal calmly, or `done` when it worked. */
async function run(event, payload = {}, done = "") {
  const ack = await command(socket, event, payload);
  if (!ack.ok) tell(ack.error || t("That did not work."), "error");
  else if (done) tell(done);
  return ack;
}

function isOff(button) {
  return button.getAttribute("aria-disabled") === "true";
}

function setOff(button, off) {
  if (off) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

/**
 * Wire a button to a command. While it runs the button says so and is aria-disabled, never
 * `disabled`: a disabled button drops keyboard focus to the page, and the next Tab starts over.
 */
function onPress(button, handler) {
  button.addEventListener("click", async () => {
    if (isOff(button) || button.dataset.busy) return;
    button.dataset.busy = "1";
    setOff(button, true);
    const label = button.textContent;
    button.textContent = `${label}…`;
    try {
      await handler();
    } finally {
      delete button.dataset.busy;
      button.textContent = label;
      setOff(button, false);
      updateControls();
    }
  });
}

// -- keeping focus where the facilitator left it ---------------------------------------------

function focusKey(node) {
  if (!node || node === document.body || !node.tagName) return null;
  if (node.id) return `#${CSS.escape(node.id)}`;
  for (const name of ["remove", "clear", "id", "group", "index"]) {
    const value = node.dataset && node.dataset[name];
    if (value !== undefined) {
      const cls = node.classList[0] ? `.${CSS.escape(node.classList[0])}` : "";
      return `${node.tagName.toLowerCase()}${cls}[data-${name}="${CSS.escape(value)}"]`;
    }
  }
  return null;
}

/** Redraw, then put focus back on the same control (or `fallback` when that control is gone). */
function keepFocus(draw, fallback = null) {
  const active = document.activeElement;
  const key = focusKey(active);
  draw();
  if (!key || document.contains(active)) return;
  const again = document.querySelector(key);
  const target = again && !again.closest("[hidden]") ? again : fallback && $(fallback);
  if (target) target.focus({ preventScroll: true });
}

// -- pieces ----------------------------------------------------------------------------

const people = new People({
  list: $("people"), empty: $("people-empty"), counts: $("counts"), filter: $("people-filter"),
  moments: $("moments"), momentList: $("moment-list"),
  onRemove: async (person, button) => {
    if (!person || isOff(button)) return;
    const sure = window.confirm(t("Remove {name} from this workshop? Their phone will be told they were removed, and they cannot come back.", { name: person.name }));
    if (!sure) return;
    setOff(button, true);
    const ack = await run("remove_attendee", { attendee_id: person.id }, t("{name} was removed.", { name: person.name }));
    if (!ack.ok && document.contains(button)) setOff(button, false);
  },
  onClear: async (person, button) => {
    if (!person || isOff(button)) return;
    setOff(button, true);
    const ack = await run("clear_moment", { attendee_id: person.id }, t("{name}'s moment is cleared.", { name: person.name }));
    if (!ack.ok && document.contains(button)) setOff(button, false);
  },
});

const board = new Board({
  root: $("groups"), waitingBox: $("waiting"), waitingList: $("waiting-list"), empty: $("groups-empty"),
  heldBox: $("held"), heldList: $("held-list"),
  summary: $("board-summary"), hint: $("selection-hint"), filter: $("board-filter"),
  people: (id) => people.get(id),
  onSwap: (a, b) => run("swap_people", { a, b }, t("Swapped {first} and {second}.", { first: nameOf(a), second: nameOf(b) })),
  onMove: (id, group) => run("move_person", { attendee_id: id, group_id: group }, t("Moved {name}.", { name: nameOf(id) })),
  onPlace: (id) => run("place_waiting", { attendee_id: id }, t("{name} has joined a group.", { name: nameOf(id) })),
  onSelect: (text) => tell(text),
});

const clock = new Countdown({ size: "big" });
$("timer-clock").append(clock.el);

function nameOf(id) {
  return (people.get(id) || {}).name || t("that person");
}

// -- what a room change means, in one sentence ------------------------------------------------

function hasPairs() {
  for (const group of board.groups.values()) if (group.members.length === 2) return true;
  return false;
}

/** A title as it reads inside a sentence: lower case where the language writes it so (not German nouns). */
function inSentence(title) {
  return LANG === "de" ? title : title.toLocaleLowerCase(LANG);
}

function turnSentence(room) {
  const phase = room.phase;
  if (!phase) return "";
  if (phase.speaker == null) return t("Round complete.");
  const title = phase.speaker === "C" && hasPairs() ? t("{title}; pairs talk freely", { title: phase.title }) : phase.title;
  return phase.number && phase.count
    ? t("Turn {number} of {count}: {title}.", { number: phase.number, count: phase.count, title })
    : `${title}.`;
}

function nearDeadline(timer) {
  return timer && timer.state === "running" && timer.deadline - serverNow() <= TIME_UP_MS;
}

/** Sentences for what changed between two room states: the confirmation of every command, whoever sent it. */
function whatChanged(before, room) {
  if (!before) return [];
  if (room.status === "ended") return before.status === "ended" ? [] : [t("The workshop has ended.")];
  const out = [];
  const fb0 = before.feedback || {};
  const fb = room.feedback || {};
  if (fb.open && !fb0.open) out.push(t("The feedback form is open."));
  if (!fb.open && fb0.open) out.push(t("The feedback form is closed."));
  if (before.step.index !== room.step.index) {
    out.push(t("Now at step {number} of {count}: {title}.", { number: room.step.index + 1, count: room.step.count || state.steps.length, title: room.step.title }));
    return out;
  }
  const t0 = before.timer;
  const tm = room.timer;
  if (before.phase && room.phase && before.phase.index !== room.phase.index) {
    if (nearDeadline(t0)) out.push(t("Time is up."));
    out.push(turnSentence(room));
  } else if (t0 && tm) {
    if (t0.state === "running" && tm.state === "paused") out.push(t("Paused."));
    else if (t0.state === "paused" && tm.state === "running") out.push(t("Resumed."));
    else if (t0.state !== "running" && tm.state === "running") {
      out.push(room.step.kind === "round" ? `${t("Timer started.")} ${turnSentence(room)}` : t("Timer started."));
    } else if (t0.state === "running" && tm.state === "done") out.push(nearDeadline(t0) ? t("Time is up.") : t("Timer stopped."));
    else if (tm.state === t0.state && (tm.state === "running" ? tm.deadline > t0.deadline : tm.remaining_ms > t0.remaining_ms)) {
      out.push(t("One more minute."));
    }
  }
  if (room.locked !== before.locked) out.push(room.locked ? t("Room locked: nobody new can join.") : t("Room open to newcomers again."));
  const m0 = before.message && before.message.id;
  const m = room.message && room.message.id;
  if (m0 !== m) out.push(room.message ? t("Message sent to every phone.") : t("The message was taken down."));
  if (room.odd !== before.odd) {
    out.push(room.odd === "triad" ? t("An odd person will join a group of three.") : t("You will partner an odd person."));
  }
  return out;
}

// -- drawing the room ----------------------------------------------------------------------

function drawRoom(previous) {
  const room = state.room;
  const step = room.step;
  const ended = room.status === "ended";
  document.title = `${t("Console")} · ${CODE} · ${step.title}`;
  $("ended-notice").hidden = !ended;
  // An ended room has no join link any more: don'tm show a QR code that leads nowhere.
  for (const node of document.querySelectorAll(".qr, .join-url, .projector-link")) node.hidden = ended;
  for (const img of document.querySelectorAll("img[data-src]")) if (!ended && !img.getAttribute("src")) img.src = img.dataset.src;
  setText("step-kicker", t("Step {number} of {count} · {kind}", { number: step.index + 1, count: step.count || state.steps.length, kind: KIND_TEXT[step.kind] || step.kind }));
  setText("step-title", step.title);

  const phase = room.phase;
  const turn = $("turn-info");
  const detail = $("turn-detail");
  if (step.kind === "round" && phase) {
    const number = phase.number && phase.count ? t("Turn {number} of {count}", { number: phase.number, count: phase.count }) : "";
    setText("turn-info", phase.speaker == null ? t("Round complete") : [phase.title, number].filter(Boolean).join(" · "));
    turn.hidden = false;
    const openTalk = phase.speaker === "C" && hasPairs();
    setText("turn-detail", openTalk ? t("Groups of three: C speaks. Pairs: {activity}.", { activity: inSentence(phase.pair_title || t("Open conversation")) }) : "");
    detail.hidden = !openTalk;
  } else {
    turn.hidden = true;
    detail.hidden = true;
  }
  const stepOrPhaseChanged = !previous || previous.step.index !== step.index
    || (previous.phase && phase && previous.phase.index !== phase.index);
  if (previous && stepOrPhaseChanged) board.clearDone();

  clock.set(room.timer);
  const tm = room.timer;
  setText("timer-state", !tm ? t("This step has no timer.") : {
    idle: t("Ready to start"), running: t("Running"), paused: t("Paused"), done: step.kind === "round" ? t("Round complete") : t("Time is up"),
  }[tm.state] || tm.state);
  $("timer-clock").hidden = !tm || (step.kind === "round" && phase && phase.speaker == null);

  for (const item of $("steps").children) {
    const current = Number(item.dataset.index) === step.index;
    item.classList.toggle("current", current);
    const button = item.firstElementChild;
    if (current) button.setAttribute("aria-current", "step");
    else button.removeAttribute("aria-current");
  }
  if (!previous || previous.step.index !== step.index) showCurrentStep();

  $("lock-room").textContent = room.locked ? t("Unlock room") : t("Lock room");
  setText("lock-state", room.locked ? t("Locked: only people already here can come back.") : t("Open to newcomers."));
  const message = room.message;
  setText("message-current", message ? t("Showing on every phone: “{text}”", { text: message.text }) : t("No message is showing."));

  drawFeedback();
  updateControls();
  for (const sentence of whatChanged(previous, room)) tell(sentence);
}

/** Change text only when it differs, so that nothing on the page moves for nothing. */
/** Show the join link the socket sent (with its join key), and draw its QR code from the same key. */
function showJoinLink(url) {
  const link = $("join-link");
  link.href = url;
  link.textContent = url;
  const key = new URL(url).searchParams.get("k");
  const qr = document.querySelector("img.qr");
  const src = `/j/${encodeURIComponent(CODE)}/qr.svg?k=${encodeURIComponent(key || "")}`;
  qr.dataset.src = src;
  if (qr.getAttribute("src")) qr.src = src;
}

function setText(id, text) {
  const node = $(id);
  if (node.textContent !== text) node.textContent = text;
}

/** Scroll the agenda list (and only the list: never the page) so that the current step shows. */
function showCurrentStep() {
  const list = $("steps");
  const item = list.querySelector(".current");
  if (!item) return;
  const box = list.getBoundingClientRect();
  const at = item.getBoundingClientRect();
  if (at.top < box.top) list.scrollTop -= box.top - at.top;
  else if (at.bottom > box.bottom) list.scrollTop += at.bottom - box.bottom;
}

function drawFeedback() {
  const fb = (state.room && state.room.feedback) || {};
  const onStep = state.room && state.room.step.kind === "feedback";
  setText("feedback-count", formatNumber(state.feedbackCount));
  setText("feedback-count-label", tn("response", "responses", state.feedbackCount));
  setText("feedback-state", fb.open ? t("The form is open on every phone.")
    : fb.closed ? t("Closed. Results show in the report once enough people answered.")
      : onStep ? t("Not open yet: “Open feedback” at the top opens it on every phone.")
        : t("Not open yet. “Open feedback” at the top moves everyone to the feedback step and opens it."));
}

function drawSteps() {
  const list = $("steps");
  keepFocus(() => list.replaceChildren(...state.steps.map((step) => el("li", { dataset: { index: step.index } },
    el("button", { type: "button", class: "step-button", dataset: { index: step.index } },
      el("span", { class: "step-number" }, String(step.index + 1)),
      el("span", { class: "step-name" }, step.title),
      redundant(step) ? null : el("span", { class: "step-kind" }, KIND_TEXT[step.kind] || step.kind))))));
}

function redundant(step) {
  const title = step.title.toLowerCase();
  return [KIND_TEXT[step.kind] || step.kind, step.kind].some((kind) => title.includes(kind.toLowerCase().replace(/s$/, "")));
}

/** What the timer button does now: start, pause, resume or restart (or nothing). */
function timerAction() {
  const room = state.room;
  const tm = room && room.timer;
  if (!tm || room.status === "ended") return null;
  const roundOver = room.step.kind === "round" && room.phase && room.phase.speaker == null;
  if (tm.state === "running") return { event: "pause_timer", label: t("Pause") };
  if (tm.state === "paused") return { event: "resume_timer", label: t("Resume") };
  if (roundOver) return null;
  if (tm.state === "idle") return { event: "start_timer", label: t("Start") };
  return room.step.kind === "round" ? null : { event: "start_timer", label: t("Restart") };
}

function hasFeedbackStep() {
  return state.steps.some((s) => s.kind === "feedback");
}

function updateControls() {
  const room = state.room;
  if (!room) return;
  const ended = room.status === "ended";
  const tm = room.timer;
  const step = room.step;
  const roundOver = step.kind === "round" && room.phase && room.phase.speaker == null;
  const fb = room.feedback || {};
  const set = (id, enabled) => { if (!$(id).dataset.busy) setOff($(id), ended || !enabled); };

  const action = timerAction();
  const main = $("timer-main");
  if (!main.dataset.busy) main.textContent = action ? action.label : t("Start");
  set("timer-main", Boolean(action));
  set("timer-extend", tm && tm.state !== "done");
  set("timer-skip", tm && (step.kind === "round" ? !roundOver : tm.state === "running" || tm.state === "paused"));
  set("prev-step", step.index > 0);
  set("next-step", step.index < state.steps.length - 1);
  const feedback = $("feedback-toggle");
  if (!feedback.dataset.busy) feedback.textContent = fb.open ? t("Close feedback") : t("Open feedback");
  set("feedback-toggle", true);
  set("lock-room", true);
  set("pair-everyone", true);
  set("end-workshop", true);
  set("message-send", true);
  set("message-clear", true);
  for (const input of document.querySelectorAll('input[name="odd"]')) {
    input.checked = input.value === state.odd;
    input.disabled = ended;
  }
  for (const button of $("steps").querySelectorAll("button")) setOff(button, ended);

  // Hide what this step cannot use; if the focused control goes, focus moves to "Next step".
  const hide = (node, hidden) => {
    if (hidden && node.contains(document.activeElement)) $("next-step").focus({ preventScroll: true });
    node.hidden = hidden;
  };
  hide(main, !tm || ended);
  hide($("timer-extend"), !tm || ended);
  hide($("timer-skip"), !tm || ended);
  hide(feedback, !hasFeedbackStep() || ended);
  hide($("next-step"), ended);
  $("shortcuts").hidden = ended;

  // The step's main action stands out: open the form on the feedback step, else the timer, else move on.
  const primary = step.kind === "feedback" && !fb.open && !fb.closed ? feedback
    : action && !ended ? main : $("next-step");
  for (const button of [main, $("timer-extend"), $("timer-skip"), feedback, $("next-step")]) {
    button.classList.toggle("secondary", button !== primary);
  }

  const inRound = step.kind === "round" && room.phase && room.phase.speaker != null && tm && tm.state !== "idle";
  const done = $("done-info");
  done.hidden = !inRound || !board.groups.size;
  setText("done-info", tn("{done} of {n} group done with this turn", "{done} of {n} groups done with this turn", board.groups.size, { done: board.doneCount() }));
}

// -- the connection ------------------------------------------------------------------------

function start(key) {
  $("no-key").hidden = true;
  $("private-url").value = `${document.body.dataset.baseUrl || location.origin}/facilitate/${CODE}#key=${encodeURIComponent(key)}`;
  socket = connect({ role: "facilitator", code: CODE, key });
  startClock(socket);
  const connection = $("connection");
  let wasConnected = false;
  socket.on("connect", () => {
    connection.textContent = t("Connected");
    connection.className = "connection ok";
    if (wasConnected) tell(t("Connected again."));
    wasConnected = true;
  });
  socket.on("disconnect", () => {
    connection.textContent = t("Reconnecting…");
    connection.className = "connection";
    tell(t("Connection lost. Reconnecting…"));
  });
  socket.on("connect_error", (err) => {
    const code = err && err.data && err.data.code;
    if (code === "wrong_key" || code === "bad_auth") {
      store(KEY_STORE, null);
      socket.disconnect();
      showNoKey(t("This facilitator link is not valid for this room. Open the private link you got when you started the workshop."));
      return;
    }
    connection.textContent = t("Reconnecting…");
    connection.className = "connection";
  });
  socket.on("console", (snapshot) => {
    $("console").hidden = false;
    const previous = state.room && snapshot.room.seq >= state.room.seq ? state.room : null;
    state.room = snapshot.room;
    state.steps = (snapshot.agenda && snapshot.agenda.steps) || [];
    state.odd = snapshot.odd || state.odd;
    if (snapshot.feedback && typeof snapshot.feedback.responses === "number") state.feedbackCount = snapshot.feedback.responses;
    if (snapshot.agenda && snapshot.agenda.title) $("workshop-title").textContent = snapshot.agenda.title;
    if (snapshot.join_url) showJoinLink(snapshot.join_url);
    if (snapshot.report_url) {
      $("report-link").hidden = false;
      $("report-link").querySelector("a").href = snapshot.report_url;
    }
    if (snapshot.display_url) {
      $("projector-open").href = snapshot.display_url;
      $("projector-url").value = snapshot.display_url;
    }
    drawSteps();
    keepFocus(() => {
      people.reset(snapshot.attendees || []);
      board.reset(snapshot.groups || [], snapshot.waiting || [], snapshot.pending || []);
    }, "people-title");
    drawRoom(previous);
  });
  socket.on("room", (room) => {
    if (state.room && room.seq < state.room.seq) return;
    const previous = state.room;
    state.room = room;
    if (room.odd) state.odd = room.odd;
    drawRoom(previous);
  });
  socket.on("attendee", (person) => {
    let before = null;
    keepFocus(() => {
      before = people.upsert(person);
      board.updatePerson(person.id);
    }, "people-title");
    if (person.moment && !(before && before.moment)) tell(t("{name} needs a moment.", { name: person.name }));
    updateControls();
  });
  socket.on("groups", (delta) => {
    keepFocus(() => board.apply(delta), "board-title");
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
  if (!room || index === room.step.index || index < 0 || index >= state.steps.length) return null;
  const target = state.steps[index];
  const distance = Math.abs(index - room.step.index);
  const question = index > room.step.index
    ? tn("Jump to step {number}, “{title}”? This moves everyone ahead {n} step.", "Jump to step {number}, “{title}”? This moves everyone ahead {n} steps.", distance, { number: index + 1, title: target.title })
    : tn("Jump to step {number}, “{title}”? This moves everyone back {n} step.", "Jump to step {number}, “{title}”? This moves everyone back {n} steps.", distance, { number: index + 1, title: target.title });
  if (distance > 1 && !window.confirm(question)) return null;
  return run("go_to_step", { index });
}

$("steps").addEventListener("click", async (event) => {
  const button = event.target.closest("button.step-button");
  if (!button || isOff(button) || button.dataset.busy) return;
  button.dataset.busy = "1";
  try { await goTo(Number(button.dataset.index)); } finally { delete button.dataset.busy; }
});
onPress($("prev-step"), () => goTo(state.room.step.index - 1));
onPress($("next-step"), () => goTo(state.room.step.index + 1));
onPress($("timer-main"), () => {
  const action = timerAction();
  return action ? run(action.event) : null;
});
onPress($("timer-extend"), () => run("extend_timer", { seconds: 60 }));
onPress($("timer-skip"), () => run("skip_timer"));
onPress($("feedback-toggle"), () => {
  if (!(state.room.feedback || {}).open) {
    // From another step this ends the conversations in progress and jumps every phone to the form.
    const elsewhere = state.room.step.kind !== "feedback";
    const sure = t("Go to the feedback step and open the form on every phone? Any conversation in progress ends.");
    if (elsewhere && !window.confirm(sure)) return null;
    return run("open_feedback");
  }
  if (!window.confirm(t("Close the feedback form on every phone?"))) return null;
  return run("close_feedback");
});
onPress($("pair-everyone"), () => run("pair_everyone", {}, t("New groups formed.")));
onPress($("lock-room"), () => run("lock_room", { locked: !state.room.locked }));
for (const input of document.querySelectorAll('input[name="odd"]')) {
  input.addEventListener("change", async () => {
    const before = state.odd;
    state.odd = input.value;
    const ack = await run("set_odd", { odd: input.value });
    if (!ack.ok) state.odd = before;
    updateControls();
  });
}
onPress($("end-workshop"), () => {
  if (!window.confirm(t("End this workshop for everyone? Timers stop and nobody can join any more."))) return null;
  return run("end_workshop");
});

const messageText = $("message-text");
const messageCount = () => { $("message-count").textContent = t("{count} / {limit}", { count: [...messageText.value].length, limit: 280 }); };
messageText.addEventListener("input", messageCount);
$("message-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const send = $("message-send");
  if (isOff(send) || send.dataset.busy) return;
  const text = messageText.value.trim();
  if (!text) { tell(t("Type a message first."), "error"); messageText.focus(); return; }
  send.dataset.busy = "1";
  setOff(send, true);
  try {
    const ack = await run("send_message", { text });
    if (ack.ok) { messageText.value = ""; messageCount(); }
  } finally {
    delete send.dataset.busy;
    updateControls();
  }
});
onPress($("message-clear"), async () => {
  messageText.value = "";
  messageCount();
  return run("send_message", { text: "" });
});

async function copy(input, done) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand("copy");
  }
  tell(done);
}
onPress($("copy-link"), () => copy($("private-url"), t("Private link copied. Keep it to yourself.")));
onPress($("copy-projector"), () => copy($("projector-url"), t("Projector link copied.")));

// -- keyboard shortcuts: Space pause or resume, → or N next step, + one more minute --------------

/** Press a button for a shortcut; if its last command is still on its way, press once it has come back. */
function pressSoon(button, tries = 40) {
  if (!button.dataset.busy) button.click();
  else if (tries > 0) setTimeout(() => pressSoon(button, tries - 1), 50);
}

const BAR_BUTTONS = ["timer-main", "timer-extend", "timer-skip", "feedback-toggle", "next-step"];

function onBar(target) {
  return BAR_BUTTONS.some((id) => target.closest(`#${id}`));
}

// The button's own Space press lands on keyup: swallow it where the keydown above paused or resumed.
document.addEventListener("keyup", (event) => {
  if ((event.key === " " || event.key === "Spacebar") && event.target instanceof Element && onBar(event.target)) {
    const action = timerAction();
    if (action && action.event !== "start_timer") event.preventDefault();
  }
});

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || !state.room) return;
  if ($("console").hidden || state.room.status === "ended") return;
  const target = event.target instanceof Element ? event.target : document.body;
  // Typing, choosing, or a control that Space and arrows already operate: leave the key alone.
  if (target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])")) return;
  if (event.key === " " || event.key === "Spacebar") {
    const action = timerAction();
    const pausable = action && action.event !== "start_timer";
    // On the bar's own buttons Space keeps its promise, pause or resume, rather than pressing
    // Next step or Skip a second time (Enter still presses the focused button).
    if (pausable && onBar(target)) {
      event.preventDefault();
      pressSoon($("timer-main"));
      return;
    }
    if (target.closest("button, a, summary, label, [role='button'], [tabindex]:not(main):not(h2)")) return;
    if (!pausable) return;
    event.preventDefault();
    pressSoon($("timer-main"));
  } else if (event.key === "ArrowRight" || event.key === "n" || event.key === "N") {
    event.preventDefault();
    pressSoon($("next-step"));
  } else if (event.key === "+") {
    event.preventDefault();
    if (!$("timer-extend").hidden) pressSoon($("timer-extend"));
  }
});

// -- start -------------------------------------------------------------------------------------

// A new private link pasted into this tab only changes the fragment: start again with it.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).get("key")) location.reload();
});

const key = readKey();
if (key) start(key);
else showNoKey();
