// The projector: the room for the wall, from the name-free `display` view (docs/protocol.md).
import { startClock } from "./clock.js";
import { Countdown } from "./countdown.js";
import { load, store } from "./dom.js";
import { LANG, t, tn } from "./i18n.js";
import { connect, onReturn, reconnectNow } from "./socket.js";

const CODE = document.body.dataset.code;
const KEY_STORE = `h2h-display:${CODE}`;
const JOINING_STEPS = new Set(["welcome", "agreements", "pairing", "message"]);
const $ = (id) => document.getElementById(id);

let last = null;
const clock = new Countdown({ size: "huge" });
$("projector-clock").append(clock.el);

function readKey() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromHash) {
    store(KEY_STORE, fromHash);
    history.replaceState(null, "", location.pathname);
    return fromHash;
  }
  return load(KEY_STORE);
}

function setText(id, text) {
  const node = $(id);
  if (node.textContent !== text) node.textContent = text;
  node.hidden = !text;
}

/** "6 pairs and 1 group of three", and who waits, as counts: the wall never shows who is with whom. */
function groupsLine(groups) {
  const parts = [];
  if (groups.pairs) parts.push(tn("{n} pair", "{n} pairs", groups.pairs));
  if (groups.triads) parts.push(tn("{n} group of three", "{n} groups of three", groups.triads));
  let line = parts.length === 2 ? t("{first} and {second}", { first: parts[0], second: parts[1] }) : parts.join("");
  if (groups.waiting) {
    const waiting = tn("{n} person waiting for a partner", "{n} people waiting for a partner", groups.waiting);
    line += `${line ? " · " : ""}${waiting}`;
  }
  return line;
}

/** A title as it reads inside a sentence: lower case where the language writes it so (not German nouns). */
function inSentence(title) {
  return LANG === "de" ? title : title.toLocaleLowerCase(LANG);
}

/** What the current turn asks of the room; "C speaks" only while groups of three exist. */
function turnLine(view) {
  const phase = view.phase;
  if (!phase) return "";
  if (phase.speaker == null) return t("Round complete. Thank each other.");
  const number = phase.number && phase.count ? `${t("Turn {number} of {count}", { number: phase.number, count: phase.count })} · ` : "";
  if (phase.speaker === "C") {
    const open = phase.pair_title || t("Open conversation");
    if (!view.groups.triads) return `${number}${open}`;
    return view.groups.pairs
      ? `${number}${t("Groups of three: {title}. Pairs: {activity}.", { title: phase.title, activity: inSentence(open) })}`
      : `${number}${phase.title}`;
  }
  return `${number}${phase.title}`;
}

function draw(view) {
  const main = $("main");
  const ended = view.status === "ended";
  const step = view.step;
  const timer = view.timer;
  main.dataset.state = ended ? "ended" : step.kind;
  document.title = `${t("Projector")} · ${ended ? t("Thank you") : step.title}`;
  if (ended) {
    // A calm last screen: no code to join, no countdown stuck at zero.
    setText("projector-kicker", "");
    setText("projector-title", t("Thank you for taking part"));
    setText("projector-turn", t("{title} has ended.", { title: view.title }));
    $("projector-pause").hidden = true;
    $("projector-clock").hidden = true;
    $("projector-groups").hidden = true;
    $("projector-join").hidden = true;
    clock.set(null);
    return;
  }
  const roundName = step.kind === "round" && step.round ? t("Round {number}", { number: step.round }) : "";
  setText("projector-kicker", roundName && !step.title.startsWith(roundName) ? roundName : "");
  setText("projector-title", step.title);
  let turn = "";
  if (step.kind === "round") turn = turnLine(view);
  else if (step.kind === "feedback") turn = view.feedback.open ? t("Please share your feedback on your phone. It is anonymous.") : "";
  setText("projector-turn", turn);
  const roundOver = step.kind === "round" && view.phase && view.phase.speaker == null;
  const showClock = Boolean(timer) && timer.state !== "done" && !roundOver;
  clock.set(showClock ? timer : null);
  $("projector-clock").hidden = !showClock;
  const paused = showClock && timer.state === "paused";
  $("projector-pause").hidden = !paused;
  main.classList.toggle("is-paused", paused);
  const groups = (step.kind === "round" || step.kind === "pairing") ? groupsLine(view.groups) : "";
  setText("projector-groups", groups);

  const joining = !view.locked && step.kind !== "feedback" && step.kind !== "closing";
  const join = $("projector-join");
  join.hidden = !joining;
  join.classList.toggle("compact", !JOINING_STEPS.has(step.kind));
  const qr = join.querySelector("img[data-src]");
  if (joining && !qr.getAttribute("src")) qr.src = qr.dataset.src;
}

function start(key) {
  const socket = connect({ role: "display", code: CODE, key });
  startClock(socket);
  const connection = $("projector-connection");
  socket.on("connect", () => { connection.hidden = true; });
  socket.on("disconnect", () => { connection.textContent = t("Reconnecting…"); connection.hidden = false; });
  socket.on("connect_error", (err) => {
    const code = err && err.data && err.data.code;
    if (code === "wrong_key" || code === "bad_auth") {
      store(KEY_STORE, null);
      socket.disconnect();
      $("projector-no-key").hidden = false;
      connection.hidden = true;
      return;
    }
    connection.textContent = t("Reconnecting…");
    connection.hidden = false;
  });
  socket.on("display", (view) => {
    if (last && view.seq < last.seq) return;
    last = view;
    draw(view);
  });
  onReturn(() => reconnectNow(socket));
}

const key = readKey();
if (key) start(key);
else {
  $("projector-no-key").hidden = false;
  $("projector-connection").hidden = true;
}
