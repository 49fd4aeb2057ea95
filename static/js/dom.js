// Build DOM from data without ever parsing it as HTML.

/** Create an element: el("p", {class: "x", dataset: {id: 1}, onclick: f}, "text", child). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key === "value") node.value = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

/** Append strings (as text) and nodes, skipping empty values and flattening arrays. */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false || child === "") continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Split text on blank lines into <p> elements. */
export function paragraphs(text, className) {
  return String(text || "")
    .split(/\n\s*\n/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => el("p", { class: className }, part));
}

/** Replace everything inside a node. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** Read a JSON value from localStorage, or a fallback when missing or unreadable. */
export function loadJSON(key, fallback = null) {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

/** Write to localStorage, ignoring private-mode and quota failures. */
export function store(key, value) {
  try {
    if (value === null || value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, typeof value === "string" ? value : JSON.stringify(value));
  } catch {
    /* storage can be unavailable (private mode, full): the page still works for this visit */
  }
}

/** Read a string from localStorage. */
export function load(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** Say something to screen readers through a live region, even if it repeats. */
export function announce(region, text) {
  if (!region || !text) return;
  region.textContent = "";
  // A fresh text node after a tick makes screen readers announce repeated text too.
  setTimeout(() => { region.textContent = text; }, 60);
}

/** Join names as "Ana", "Ana and Ben", "Ana, Ben and Cleo", the page's language's way. */
export { listNames } from "./i18n.js";
