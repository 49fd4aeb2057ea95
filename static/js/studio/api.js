// The studio's calls to the server (docs/protocol.md, "The agenda studio"), answered in the page's language.
import { LANG, t } from "../i18n.js";

/** Send a JSON request; resolve with {ok, status, data} and never throw for a network failure. */
export async function call(method, url, body, key) {
  const headers = { Accept: "application/json", "accept-language": LANG };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["X-Agenda-Key"] = key;
  try {
    const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin" });
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    return { ok: response.ok, status: response.status, data, response };
  } catch {
    return { ok: false, status: 0, data: { error: t("The server cannot be reached. Check the connection and try again.") } };
  }
}

/** Offer a text as a downloaded file. */
export function download(text, name, type = "application/yaml") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The file name in a Content-Disposition header. */
export function fileNameOf(response, fallback) {
  const match = /filename="([^"]+)"/.exec((response && response.headers.get("Content-Disposition")) || "");
  return match ? match[1] : fallback;
}
