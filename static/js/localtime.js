// Show the server's timestamps in the reader's own time zone, in the page's language (the page carries epoch ms).
import { LOCALE } from "./i18n.js";

const long = new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat(LOCALE, { timeStyle: "short" });

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

for (const node of document.querySelectorAll("time[data-epoch]")) {
  const ms = Number(node.dataset.epoch);
  if (!Number.isFinite(ms) || ms <= 0) continue;
  const date = new Date(ms);
  node.dateTime = date.toISOString();
  // "Ended 16:40" reads better than the whole date again when it is the day the workshop started.
  const since = node.dataset.since ? new Date(Number(node.dataset.since)) : null;
  node.textContent = since && sameDay(since, date) ? timeOnly.format(date) : long.format(date);
}
