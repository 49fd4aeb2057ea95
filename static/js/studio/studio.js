// The studio page: edit an agenda, check it as it is typed, preview it on a phone, save, export and run it.
import { el, replace } from "../dom.js";
import { LANG, LOCALE, t, tn } from "../i18n.js";
import { apply, drop, retype } from "./actions.js";
import { call, download, fileNameOf } from "./api.js";
import { renameStep, renderEditor } from "./editor.js";
import { readControl } from "./fields.js";
import { setPath, spokenMinutes, totalMinutes } from "./model.js";
import { PreviewPanel } from "./panel.js";
import { show } from "./problems.js";
import { markWords, spokenBy } from "./language.js";
import { Tweaks } from "./tweaks.js";

const MODE = document.body.dataset.source; // "studio" or "file" (read-only)
const ID = document.body.dataset.agenda;
const KEY = new URLSearchParams(location.hash.slice(1)).get("key") || "";
const $ = (id) => document.getElementById(id);
const editor = $("editor");
const problemsBox = $("problems");
const panel = new PreviewPanel();
const tweaks = new Tweaks($("tweaks"));

let source = null;
let saved = "";
let checked = null; // the server's last clean reading of the agenda, defaults filled in
let checkTimer = null;
let checking = 0;

function say(node, text, kind = "") {
  node.textContent = text;
  node.className = `status ${kind}`.trim();
  node.hidden = !text;
}

function organizerKey() {
  const input = $("organizer-key");
  return input && input.value.trim() ? input.value.trim() : null;
}

// -- drawing -------------------------------------------------------------------------------------

function draw(focusKey) {
  replace(editor, renderEditor(source, { readOnly: MODE === "file" }));
  updateTotal();
  if (focusKey) focus(focusKey);
}

function focus(key) {
  const target = key.startsWith("path:")
    ? editor.querySelector(`[data-path="${CSS.escape(key.slice(5))}"]`)
    : editor.querySelector(`[data-focus="${CSS.escape(key)}"]`);
  if (target) target.focus();
}

function updateTotal() {
  const total = totalMinutes(source);
  const time = spokenMinutes(total);
  $("total").textContent = typeof source.minutes === "number"
    ? tn("{time} of timers ({n} minute planned)", "{time} of timers ({n} minutes planned)", source.minutes, { time })
    : t("{time} of timers", { time });
}

function dirty() {
  return MODE === "studio" && JSON.stringify(source) !== saved;
}

function markSaved(version) {
  saved = JSON.stringify(source);
  say($("save-status"), version ? t("Saved as version {number}.", { number: version }) : "", "ok");
}

// -- checking with the server's validator --------------------------------------------------------

function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 350);
}

async function check() {
  const mine = ++checking;
  const answer = await call("POST", "/api/studio/check", { agenda: source });
  if (mine !== checking || !answer.ok) return;
  showProblems(answer.data.problems);
  if (answer.data.agenda) checked = answer.data.agenda;
  $("preview-stale").hidden = Boolean(answer.data.agenda) || !checked;
  panel.refresh(checked);
}

function showProblems(problems) {
  show(editor, problemsBox, problems);
  const blocked = problems.length > 0;
  for (const id of ["start", "start-tweaked", "export"]) {
    const button = $(id);
    if (button) button.setAttribute("aria-disabled", blocked ? "true" : "false");
  }
  $("start-blocked").hidden = !blocked;
}

// -- the editor's events ---------------------------------------------------------------------------

editor.addEventListener("input", (event) => changed(event.target, false));
editor.addEventListener("change", (event) => changed(event.target, true));

function changed(control, committed) {
  const path = control.dataset && control.dataset.path;
  if (!path || MODE === "file") return;
  if (committed && /\.questions\[\d+\]\.type$/.test(path)) {
    retype(source, path, control.value);
    draw(`path:${path}`);
  } else {
    setPath(source, path, readControl(control));
    updateTotal();
    if (path === "language") languageChanged();
    const title = /^steps\[(\d+)\]\.title$/.exec(path);
    if (title) renameStep(editor, Number(title[1]) - 1, control.value);
  }
  say($("save-status"), dirty() ? t("Changes not saved yet.") : "");
  scheduleCheck();
}

// -- the agenda's language and the room's ----------------------------------------------------------

let roomLanguageChosen = false; // once the facilitator picks the phones' language, the agenda's no longer presets it

function languageChanged() {
  markWords(editor, source.language);
  presetRoomLanguage();
}

/** Preset the phones' language to the agenda's when the product speaks it, else to the page's. */
function presetRoomLanguage() {
  const select = $("room-language");
  if (select && !roomLanguageChosen) select.value = spokenBy(source.language) || LANG;
}

$("room-language").addEventListener("change", () => {
  roomLanguageChosen = true;
});

editor.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button || MODE === "file") return;
  if (button.getAttribute("aria-disabled") === "true") return;
  const key = apply(source, button, editor);
  draw(key);
  say($("save-status"), t("Changes not saved yet."));
  scheduleCheck();
});

editor.addEventListener("dragstart", (event) => {
  const handle = event.target.closest && event.target.closest("[data-drag]");
  if (!handle) return;
  event.dataTransfer.setData("text/plain", handle.dataset.drag);
  event.dataTransfer.effectAllowed = "move";
});
editor.addEventListener("dragover", (event) => {
  if (event.target.closest && event.target.closest(".step-card")) event.preventDefault();
});
editor.addEventListener("drop", (event) => {
  const card = event.target.closest && event.target.closest(".step-card");
  if (!card) return;
  event.preventDefault();
  const key = drop(source, Number(event.dataTransfer.getData("text/plain")), Number(card.dataset.index));
  if (key) {
    draw(key);
    say($("save-status"), t("Changes not saved yet."));
    scheduleCheck();
  }
});

problemsBox.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-goto]");
  if (!link) return;
  event.preventDefault();
  const control = document.getElementById(link.dataset.goto);
  if (control) control.focus();
});


// -- saving, exporting, copying, starting ------------------------------------------------------------

async function save() {
  if (MODE !== "studio") return true;
  const answer = await call("PUT", `/api/studio/agendas/${ID}`, { agenda: source }, KEY);
  if (!answer.ok) {
    say($("save-status"), answer.data.error || t("The agenda was not saved."), "error");
    return false;
  }
  markSaved(answer.data.version);
  showProblems(answer.data.problems);
  tweaks.reset(source);
  await loadVersions();
  return true;
}

async function exportFile() {
  const answer = await call("POST", "/api/studio/export", { agenda: source });
  if (!answer.ok) {
    say($("save-status"), answer.data.error || t("The file could not be made."), "error");
    return;
  }
  download(answer.data, fileNameOf(answer.response, "agenda.yaml"));
  say($("save-status"), t("The file is downloaded: put it in the agendas folder to offer it on the home page."));
}

async function duplicate() {
  const copy = structuredClone(source);
  // Filled by hand, not by t(): the title is the agenda's own text and takes no isolation marks.
  if (MODE === "studio") copy.title = t("{title} (copy)").replace("{title}", copy.title || t("Agenda")).slice(0, 80);
  const answer = await call("POST", "/api/studio/agendas", { agenda: copy, organizer_key: organizerKey() });
  if (!answer.ok) {
    say($("save-status"), answer.data.error || t("The copy was not made."), "error");
    return;
  }
  window.location.assign(answer.data.edit_url);
}

async function remove() {
  if (!window.confirm(t("Delete this agenda and all its versions? Workshops already run keep their own copy."))) return;
  const answer = await call("DELETE", `/api/studio/agendas/${ID}`, undefined, KEY);
  if (answer.ok) window.location.assign("/studio");
  else say($("save-status"), answer.data.error || t("The agenda was not deleted."), "error");
}

async function start(withTweaks) {
  const status = $("start-status");
  if (dirty() && !(await save())) return;
  const body = { from: MODE, agenda: ID, organizer_key: organizerKey(), language: $("room-language").value,
    tweaked: withTweaks ? tweaks.tweaked() : null };
  say(status, t("Starting…"));
  const answer = await call("POST", "/api/studio/workshops", body, KEY);
  if (!answer.ok) {
    say(status, answer.data.error || t("The workshop was not started."), "error");
    status.focus();
    return;
  }
  window.location.assign(answer.data.console_url);
}

function guarded(id, run) {
  const button = $(id);
  if (!button) return;
  button.addEventListener("click", async () => {
    if (button.getAttribute("aria-disabled") === "true") {
      problemsBox.focus();
      return;
    }
    await run();
  });
}

guarded("save", save);
guarded("export", exportFile);
guarded("duplicate", duplicate);
guarded("delete", remove);
guarded("start", () => start(false));
guarded("start-tweaked", () => start(true));
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "s") {
    event.preventDefault();
    save();
  }
});
window.addEventListener("beforeunload", (event) => {
  if (dirty()) event.preventDefault();
});

// -- versions ------------------------------------------------------------------------------------------

async function loadVersions() {
  const select = $("versions");
  if (!select || MODE !== "studio") return;
  const answer = await call("GET", `/api/studio/agendas/${ID}`, undefined, KEY);
  if (!answer.ok) return;
  replace(select, answer.data.versions.map((v) => el("option", { value: String(v.version) },
    t("Version {number} · {date} · {title}", { number: v.version, date: new Date(v.saved_at).toLocaleString(LOCALE),
      title: v.title }))));
}

guarded("open-version", async () => {
  const answer = await call("GET", `/api/studio/agendas/${ID}?version=${$("versions").value}`, undefined, KEY);
  if (!answer.ok) return;
  source = answer.data.source;
  draw();
  presetRoomLanguage();
  say($("save-status"), t("Version {number} is open: save to make it the newest.", { number: answer.data.version }));
  scheduleCheck();
});

// -- start -----------------------------------------------------------------------------------------

/** Let the top bar scroll away except its last line, so that the total stays in sight on any screen. */
function keepTotalInSight() {
  const bar = document.querySelector(".studio-bar");
  const line = $("total-line");
  const place = () => {
    const above = line.getBoundingClientRect().top - bar.getBoundingClientRect().top - 8;
    bar.style.top = `${-Math.max(0, above)}px`;
  };
  new ResizeObserver(place).observe(bar);
  place();
}

async function load() {
  keepTotalInSight();
  panel.start();
  const url = MODE === "file" ? `/api/studio/files/${ID}` : `/api/studio/agendas/${ID}`;
  const answer = await call("GET", url, undefined, KEY);
  if (!answer.ok) {
    say($("load-error"), answer.data.error || t("This agenda could not be opened."), "error");
    return;
  }
  source = answer.data.source;
  checked = answer.data.agenda;
  markSaved(null);
  draw();
  presetRoomLanguage();
  showProblems(answer.data.problems);
  panel.refresh(checked);
  tweaks.reset(source);
  $("studio-body").hidden = false;
  if (MODE === "studio") {
    $("edit-link").value = `${location.origin}/studio/${ID}#key=${encodeURIComponent(KEY)}`;
    await loadVersions();
  }
}

load();
