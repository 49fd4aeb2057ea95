// The page's words in its language, from the same gettext catalogs as the server (no second system).
//
// The server embeds this page's catalog as JSON (`#i18n-catalog`, from workshop/translations) and
// sets <html lang dir>. `t("Hello {name}", { name })` and `tn("{n} person", "{n} people", n)` are
// the calls `make messages` extracts (babel's JavaScript extractor, keywords t and tn:1,2).

const EMPTY = { lang: "en", dir: "ltr", plural: ["one", "other"], messages: {}, languages: { en: "English" } };

function readCatalog() {
  const node = document.getElementById("i18n-catalog");
  try {
    return node ? { ...EMPTY, ...JSON.parse(node.textContent) } : EMPTY;
  } catch {
    return EMPTY;
  }
}

const CATALOG = readCatalog();
export const LANG = CATALOG.lang;
export const DIR = CATALOG.dir;
export const LANGUAGES = CATALOG.languages;
export const PREFERENCE_KEY = "h2h-lang";
// Dates and numbers follow the browser's own region when it speaks the page's language (en-GB, pt-PT).
export const LOCALE = (navigator.languages || []).find((tag) => tag.split("-")[0].toLowerCase() === LANG) || LANG;
const COOKIE = "h2h_lang";
const rules = new Intl.PluralRules(LANG);
const numbers = new Intl.NumberFormat(LOCALE);

// A value written in the other direction than the page (an Arabic name in an English sentence, a
// Latin name in an Arabic one) is isolated (FSI ... PDI), so that it cannot reorder the words around it.
const OTHER_DIRECTION = DIR === "rtl" ? /[A-Za-z\u00C0-\u024F]/ : /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;

function isolate(text) {
  return OTHER_DIRECTION.test(text) ? `\u2068${text}\u2069` : text;
}

/** Fill `{name}` placeholders; numbers are written the language's way, other-direction text isolated. */
function fill(text, vars) {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in vars)) return whole;
    const value = vars[name];
    return typeof value === "number" ? numbers.format(value) : isolate(String(value));
  });
}

/** Translate a sentence: t("Pair {number}", { number: 7 }). */
export function t(msgid, vars) {
  const text = CATALOG.messages[msgid];
  return fill(typeof text === "string" && text ? text : msgid, vars);
}

/** Translate a word that English uses in two senses, told apart by a context: tp("person status", "Here"). */
export function tp(context, msgid, vars) {
  const text = CATALOG.messages[`${context}\u0004${msgid}`];
  return fill(typeof text === "string" && text ? text : msgid, vars);
}

/** Translate a counted sentence with the language's plural rule: tn("{n} minute left", "{n} minutes left", n). */
export function tn(singular, plural, n, vars = {}) {
  const forms = CATALOG.messages[singular];
  let text;
  if (Array.isArray(forms)) {
    const index = CATALOG.plural.indexOf(rules.select(n));
    text = forms[index >= 0 ? index : forms.length - 1] || forms[forms.length - 1];
  }
  if (!text) text = n === 1 ? singular : plural;
  return fill(text, { n, ...vars });
}

/** Write a number the language's way. */
export function formatNumber(n) {
  return numbers.format(n);
}

/** Join names the language's way: "Ana, Ben and Cleo", "Ana, Ben y Cleo", "Ana وBen". */
export function listNames(list) {
  const names = list.map(isolate);
  if (names.length <= 1) return names.join("");
  try {
    // British English writes "Ana, Ben and Cleo", as the product always has (no serial comma).
    return new Intl.ListFormat(LANG === "en" ? "en-GB" : LANG, { style: "long", type: "conjunction" }).format(names);
  } catch {
    return names.join(", ");
  }
}

/** The language this browser chose with the switch, if any. */
export function preferred() {
  try {
    return localStorage.getItem(PREFERENCE_KEY);
  } catch {
    return null;
  }
}

/** Remember a language (this browser, and the cookie that server-rendered pages follow) and show it. */
export function chooseLanguage(lang) {
  try {
    if (lang) localStorage.setItem(PREFERENCE_KEY, lang);
    else localStorage.removeItem(PREFERENCE_KEY);
  } catch {
    /* private mode: the cookie below still carries the choice */
  }
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = lang
    ? `${COOKIE}=${encodeURIComponent(lang)}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`
    : `${COOKIE}=; Path=/; Max-Age=0; SameSite=Lax${secure}`;
  const url = new URL(location.href);
  url.searchParams.delete("lang");
  location.replace(url.toString());
}

/**
 * A choice remembered in this browser but missing from the page (its cookie was cleared): ask for
 * the page again in that language, once.
 */
export function followPreference() {
  const lang = preferred();
  if (!lang || lang === LANG || !(lang in LANGUAGES)) return false;
  try {
    if (sessionStorage.getItem("h2h-lang-retried") === lang) return false;
    sessionStorage.setItem("h2h-lang-retried", lang);
  } catch {
    return false;
  }
  chooseLanguage(lang);
  return true;
}

/** Make the page's language switch (templates/_language.html) remember what it is set to. */
export function bindLanguageSwitch(root = document) {
  for (const form of root.querySelectorAll("[data-language-switch]")) {
    const select = form.querySelector("select");
    select.addEventListener("change", () => chooseLanguage(select.value));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      chooseLanguage(select.value);
    });
  }
}
