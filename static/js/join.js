// Take a typed room code to its workshop page, forgiving case, spaces and dashes.
import { bindLanguageSwitch, followPreference, t } from "./i18n.js";

if (!followPreference()) bindLanguageSwitch();
const ALPHABET = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/;

const form = document.getElementById("join-form");
const input = document.getElementById("code");
const error = document.getElementById("code-error");

function normal(value) {
  return value.toUpperCase().replace(/[\s-]+/g, "");
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const code = normal(input.value);
  let problem = "";
  if (!code) problem = t("Please type the room code.");
  else if (code.length !== 6) problem = t("A room code has 6 characters.");
  else if (!ALPHABET.test(code)) problem = t("That doesn't look like a room code. Codes use letters and the digits 2 to 9.");
  if (problem) {
    error.textContent = problem;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  window.location.assign(`/j/${encodeURIComponent(code)}`);
});

input.addEventListener("input", () => {
  error.hidden = true;
  input.removeAttribute("aria-invalid");
});

// With JavaScript the form goes straight to the workshop, so the no-JS "continue" link is not needed.
document.querySelectorAll("[data-nojs]").forEach((node) => { node.hidden = true; });
if (!input.value && !document.getElementById("join-error")) input.focus();
