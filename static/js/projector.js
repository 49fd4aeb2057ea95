// The projector: the room for the wall, from the name-free `display` view (docs/protocol.md).
import { startClock } from "./clock.js";
import { Countdown } from "./countdown.js";
import { el, load, store } from "./dom.js";
import { LANG, t, tn } from "./i18n.js";
import { colourName } from "./roles.js";
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
    history.replaceState(null, "", location.pathname + location.search);
    return fromHash;
  }
  return load(KEY_STORE);
}

/** Show the wall in the room's language: the page cannot look it up (it tells no code from another), so
 * the view brings it once the display key has opened the room; a `?lang=` in the link wins. */
function followRoomLanguage(lang) {
  if (!lang || lang === LANG || new URLSearchParams(location.search).has("lang")) return false;
  location.replace(`${location.pathname}?lang=${encodeURIComponent(lang)}`);
  return true;
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

const LEGEND_MAX = 48; // past this many groups a legend is a wall of chips: the count says enough

/** The pairs' numbers and colours, so that people find their partner across the hall; never a name. */
function drawLegend(labels, shown) {
  const list = $("projector-pairs");
  const visible = shown && labels.length > 0 && labels.length <= LEGEND_MAX;
  list.hidden = !visible;
  if (!visible) return;
  const key = JSON.stringify(labels);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(...labels.map(([number, colour, size]) =>
    el("li", { class: "pair-chip", dataset: { colour } },
      el("span", { class: "swatch", "aria-hidden": "true" }),
      t("Pair {number}", { number }), size === 3 ? el("span", { class: "chip-note" }, ` · ${t("three")}`) : null,
      el("span", { class: "visually-hidden" }, `, ${colourName(colour)}`))));
}

function draw(view) {
  const main = $("main");
  const ended = view.status === "ended";
  const step = view.step;
  const timer = view.timer;
  main.dataset.state = ended ? "ended" : step.kind;
  if (view.title) setText("projector-brand", view.title);
  document.title = `${t("Projector")} · ${ended ? t("Thank you") : step.title}`;
  if (ended) {
    // A calm last screen: no code to join, no countdown stuck at zero.
    setText("projector-kicker", "");
    setText("projector-title", t("Thank you for taking part"));
    setText("projector-turn", t("{title} has ended.", { title: view.title }));
    $("projector-pause").hidden = true;
    $("projector-clock").hidden = true;
    $("projector-groups").hidden = true;
    $("projector-pairs").hidden = true;
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
  // Outside rounds a countdown nobody started is no news for the wall ("Not started yet" at feedback).
  const showClock = Boolean(timer) && timer.state !== "done" && !roundOver
    && (step.kind === "round" || timer.state !== "idle");
  clock.set(showClock ? timer : null);
  $("projector-clock").hidden = !showClock;
  const paused = showClock && timer.state === "paused";
  $("projector-pause").hidden = !paused;
  main.classList.toggle("is-paused", paused);
  const groups = (step.kind === "round" || step.kind === "pairing") ? groupsLine(view.groups) : "";
  setText("projector-groups", groups);
  drawLegend(view.labels || [], step.kind === "round" || step.kind === "pairing");

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
      $("projector-wrong-key").hidden = false;  // a key was given, and it does not open this room
      connection.hidden = true;
      return;
    }
    connection.textContent = t("Reconnecting…");
    connection.hidden = false;
  });
  socket.on("join_link", ({ join_url: url }) => {
    // The join link with its key, sent only to a projector whose display key opened: the QR code draws the same.
    // The wall shows what a person can type (the join page; the code is below it in large type);
    // the key is for the QR code only, which nobody has to read.
    const link = new URL(url);
    $("projector-url").textContent = `${link.host}/join`;
    const qr = $("projector-join").querySelector("img[data-src]");
    const key = link.searchParams.get("k") || "";
    qr.dataset.src = `/j/${encodeURIComponent(CODE)}/qr.svg?k=${encodeURIComponent(key)}`;
    if (qr.getAttribute("src")) qr.src = qr.dataset.src;
  });
  socket.on("display", (view) => {
    if (last && view.seq < last.seq) return;
    if (followRoomLanguage(view.language)) return;
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
