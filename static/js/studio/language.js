// The agenda's language: the language its own words are written in, any BCP 47 tag (docs/agendas.md).
// A list of common languages, each named in itself, or another tag typed by hand; the server checks it.
import { el } from "../dom.js";
import { LANG, LANGUAGES, t } from "../i18n.js";
import { field } from "./fields.js";

// The product's own languages first, then widely spoken ones, right-to-left ones among them.
const COMMON = [...Object.keys(LANGUAGES), "pt-BR", "it", "nl", "pl", "ru", "uk", "tr", "el", "sv", "da", "nb",
  "fi", "cs", "ro", "hu", "ca", "eu", "he", "fa", "ur", "hi", "bn", "ta", "id", "ms", "vi", "th", "ja", "ko",
  "zh-Hans", "zh-Hant", "sw", "am", "yo"];
const OTHER = "other";
const TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/; // the loader's LANGUAGE_TAG (core/agenda.py)

/** Name a language tag in a language: (es, es) is "español", (es, en) is "Spanish"; the tag itself if unknown. */
function nameOf(tag, inLanguage) {
  try {
    return new Intl.DisplayNames([inLanguage], { type: "language" }).of(tag) || tag;
  } catch {
    return tag;
  }
}

/** An option's words: the language in itself, then in the page's language when that differs. */
function optionLabel(tag) {
  const own = nameOf(tag, tag);
  const here = nameOf(tag, LANG);
  const name = own.toLowerCase() === here.toLowerCase() ? own : t("{language} ({name_here})", { language: own, name_here: here });
  return `${name} · ${tag}`;
}

/** The product's language a tag asks for ("pt-BR" is "pt"), or null: what a room's phones can be shown. */
export function spokenBy(tag) {
  const primary = String(tag || "").split("-")[0].toLowerCase();
  return primary in LANGUAGES ? primary : null;
}

/** The field: a select of languages, and a tag field shown for "another language" (it holds the value). */
export function languageField(value) {
  const listed = !value || COMMON.includes(value);
  const choice = el("select", { id: "language-choice", "aria-describedby": "language-choice-hint", dataset: { languageChoice: "" } },
    el("option", { value: "" }, t("Not said")),
    COMMON.map((tag) => el("option", { value: tag, lang: tag }, optionLabel(tag))),
    el("option", { value: OTHER }, t("Another language…")));
  choice.value = listed ? value || "" : OTHER;
  const typed = field({ path: "language", kind: "text", label: t("Language tag"), value, optional: true, max: 35,
    dir: "ltr", help: t("A BCP 47 tag, as in fil, pt-BR or zh-Hant: the language, then its region or script if you like.") });
  typed.hidden = listed;
  const input = typed.querySelector("input");
  Object.assign(input, { autocomplete: "off", spellcheck: false });
  input.setAttribute("autocapitalize", "off");
  choice.addEventListener("change", () => {
    typed.hidden = choice.value !== OTHER;
    if (choice.value === OTHER) {
      input.focus();
      return;
    }
    input.value = choice.value;
    input.dispatchEvent(new Event("input", { bubbles: true })); // the studio reads it like any typed field
  });
  return el("div", { class: "field field-language stack-sm" },
    el("label", { for: "language-choice" }, t("Language of this agenda")),
    el("p", { class: "hint", id: "language-choice-hint" },
      t("The language its own words are written in: any language. Phones show the buttons and the rest in each person’s own language.")),
    choice, typed);
}

/** Tell the browser which language the agenda's words are in (spell checking, voices, fonts), once it is a tag. */
export function markWords(root, tag) {
  const known = TAG.test(tag || "");
  for (const control of root.querySelectorAll('textarea[dir="auto"], input[dir="auto"]')) {
    if (known) control.lang = tag;
    else control.removeAttribute("lang");
  }
}
