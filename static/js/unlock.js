// Open a shared report link: the key travels in the URL fragment, never in a request line.
import { t } from "./i18n.js";

const code = document.body.dataset.code;
const status = document.getElementById("unlock-status");
const key = new URLSearchParams(location.hash.slice(1)).get("key");

async function unlock() {
  if (!key) return;
  history.replaceState(null, "", location.pathname);
  const response = await fetch(`/reports/${encodeURIComponent(code)}/unlock`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ key }),
    credentials: "same-origin",
  });
  if (response.ok) {
    location.reload();
  } else {
    const body = await response.json().catch(() => ({}));
    status.textContent = body.error || t("This report link could not be opened.");
  }
}

unlock().catch(() => {
  status.textContent = t("This report link could not be opened. Check your connection and try again.");
});
