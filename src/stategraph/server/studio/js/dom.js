// Tiny DOM helpers: build elements without a framework.

/** Create an element: h("button", {class: "x", onclick: fn}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Append children (strings, nodes, arrays, null) to el. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace el's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** A short, readable id: the last 8 characters of a UUID. */
export const shortId = (id) => (id ? String(id).slice(-8) : "");

/** Parse JSON from a textarea; returns {value} or {error} with a helpful message. */
export function parseJson(text, { allowEmpty = true } = {}) {
  const trimmed = text.trim();
  if (!trimmed) return allowEmpty ? { value: null } : { error: "Enter a JSON value." };
  try {
    return { value: JSON.parse(trimmed) };
  } catch (err) {
    return { error: `Invalid JSON: ${err.message}. Strings need double quotes.` };
  }
}

/** Format a timestamp as local HH:MM:SS. */
export function clock(iso) {
  const date = iso ? new Date(iso) : new Date();
  return date.toLocaleTimeString([], { hour12: false });
}
