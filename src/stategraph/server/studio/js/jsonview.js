// Collapsible JSON: objects and arrays are <details> elements, leaves are coloured spans.
import { h } from "./dom.js";

function leaf(value) {
  const type = value === null ? "null" : typeof value;
  const text = type === "string" ? JSON.stringify(value) : String(value);
  return h("span", { class: `json-${type}` }, text);
}

/** A collapsible tree for any JSON value; levels deeper than `open` start folded. */
export function jsonView(value, { open = 2, label = null } = {}) {
  return h("div", { class: "json" }, node(value, label, open));
}

function node(value, label, open) {
  const key = label === null ? null : h("span", { class: "json-key" }, `${label}: `);
  if (value === null || typeof value !== "object") return h("div", { class: "json-row" }, key, leaf(value));
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const brackets = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (!entries.length) return h("div", { class: "json-row" }, key, brackets.join(""));
  const summary = h("summary", {}, key, h("span", { class: "json-meta" },
    `${brackets[0]} ${entries.length} ${Array.isArray(value) ? "items" : "keys"} ${brackets[1]}`));
  return h("details", { open: open > 0 }, summary,
    h("div", { class: "json-children" }, entries.map(([k, v]) => node(v, k, open - 1))));
}

/** Pretty JSON text for editors. */
export const pretty = (value) => JSON.stringify(value ?? null, null, 2);
