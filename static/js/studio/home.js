// The studio's start: a new agenda from blank, from a shipped one, or from a file; each opens the editor.
import { t } from "../i18n.js";
import { call } from "./api.js";
import { blankAgenda } from "./model.js";

const status = document.getElementById("studio-status");
const importError = document.getElementById("import-error");

function organizerKey() {
  const input = document.getElementById("organizer-key");
  return input && input.value.trim() ? input.value.trim() : null;
}

function tell(text) {
  status.textContent = text;
  status.className = "status error";
  status.hidden = false;
  status.focus();
}

async function create(agenda) {
  const answer = await call("POST", "/api/studio/agendas", { agenda, organizer_key: organizerKey() });
  if (!answer.ok) return tell(answer.data.error || t("The agenda was not made."));
  window.location.assign(answer.data.edit_url);
}

document.getElementById("blank").addEventListener("click", () => create(blankAgenda()));

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const answer = await call("GET", `/api/studio/files/${encodeURIComponent(button.dataset.copy)}`);
    if (!answer.ok) return tell(answer.data.error || t("That agenda could not be read."));
    const agenda = answer.data.source;
    // Filled by hand, not by t(): the title is the agenda's own text and takes no isolation marks.
    agenda.title = t("{title} (my copy)").replace("{title}", agenda.title).slice(0, 80);
    create(agenda);
  });
}

document.getElementById("import").addEventListener("click", async () => {
  const input = document.getElementById("import-file");
  importError.hidden = true;
  input.removeAttribute("aria-invalid");
  const file = input.files && input.files[0];
  const fail = (text) => {
    importError.textContent = text;
    importError.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  };
  if (!file) return fail(t("Choose a file first."));
  const answer = await call("POST", "/api/studio/import", { yaml: await file.text() });
  if (!answer.ok) return fail(answer.data.error || t("That file could not be read."));
  create(answer.data.source);
});
