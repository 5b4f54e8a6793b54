// The live event log of streamed runs, plus the streamed message tokens.
import { clock, fill, h } from "./dom.js";
import { jsonView } from "./jsonview.js";

const MAX_ROWS = 500;

/** "messages[3], log[1], status" for a state dict; JSON for anything else. */
function keys(data) {
  if (!data || typeof data !== "object" || Array.isArray(data)) return JSON.stringify(data);
  const parts = Object.entries(data).map(([key, value]) => (Array.isArray(value) ? `${key}[${value.length}]` : key));
  return parts.join(", ") || "{}";
}

/** A one-line summary of an event's data. */
export function summarize(mode, data) {
  if (mode === "updates" && data && typeof data === "object") {
    return Object.entries(data).map(([node, update]) => `${node}: ${node === "__interrupt__" ? JSON.stringify(update.map?.((i) => i.value) ?? update) : keys(update)}`).join("; ");
  }
  if (mode === "tasks" && data) {
    if ("result" in data || "error" in data || "interrupts" in data) {
      return `${data.name} finished${data.error ? ` with error ${data.error}` : ""}${data.interrupts?.length ? " (interrupted)" : ""}`;
    }
    return `${data.name} started`;
  }
  if (mode === "values") return keys(data);
  if (mode === "messages" && Array.isArray(data)) {
    const [chunk, meta] = data;
    return `${meta?.langgraph_node ?? "?"}: ${contentText(chunk?.content)}`;
  }
  return typeof data === "string" ? data : JSON.stringify(data);
}

/** The text of message content: a string or a list of content blocks. */
export function contentText(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((block) => (typeof block === "string" ? block : block?.text ?? "")).join("");
  return "";
}

export class EventLog {
  constructor(root) {
    this.root = root;
    fill(root,
      h("div", { class: "panel-head" }, h("h2", {}, "Events"),
        h("button", { class: "small", onclick: () => this.clear() }, "Clear")),
      h("ol", { id: "event-log", class: "log" }));
    this.list = root.querySelector("#event-log");
  }

  clear() {
    this.list.replaceChildren();
  }

  /** Append one SSE event: name like "updates|sub:id", parsed data. */
  add(name, data) {
    const [mode, ...namespace] = name.split("|");
    const row = h("li", { class: `event ev-${mode}`, dataset: { mode }, title: "Click to show the full data" },
      h("div", { class: "ev-line" },
        h("span", { class: "muted" }, clock()),
        h("span", { class: "ev-name" }, mode),
        namespace.length ? h("span", { class: "ev-ns", title: namespace.join("|") }, namespace.map((part) => part.split(":")[0]).join(" › ")) : null,
        h("span", { class: "ev-data" }, summarize(mode, data).slice(0, 400))));
    // The full payload is built only when asked for: logs can be long.
    row.addEventListener("click", (event) => {
      if (event.target.closest(".json")) return;
      const open = row.querySelector(".json");
      if (open) open.remove();
      else row.append(jsonView(data, { open: 2 }));
    });
    this.list.append(row);
    while (this.list.children.length > MAX_ROWS) this.list.firstChild.remove();
    this.list.scrollTop = this.list.scrollHeight;
  }
}

/** "AIMessageChunk" -> "ai", "human" stays "human". */
const role = (type) => String(type || "ai").replace(/(Message)?Chunk$/, "").replace(/Message$/, "").toLowerCase();

/** Streamed message tokens, one bubble per message id. */
export class Messages {
  constructor(root) {
    this.root = root;
    this.bubbles = new Map();
  }

  clear() {
    this.bubbles.clear();
    this.root.replaceChildren();
    this.root.hidden = true;
  }

  add([chunk, meta]) {
    if (!chunk) return;
    const id = chunk.id || `${meta?.langgraph_node}-${this.bubbles.size}`;
    let bubble = this.bubbles.get(id);
    if (!bubble) {
      bubble = h("div", { class: "bubble", dataset: { node: meta?.langgraph_node ?? "" } },
        h("span", { class: "who" }, `${role(chunk.type)} · ${meta?.langgraph_node ?? ""}`), h("span", { class: "text" }));
      this.bubbles.set(id, bubble);
      this.root.append(bubble);
      this.root.hidden = false;
    }
    const text = bubble.querySelector(".text");
    const full = !String(chunk.type || "Chunk").endsWith("Chunk");
    // Chunks carry a token each; whole messages replace what was streamed.
    text.textContent = full ? contentText(chunk.content) : text.textContent + contentText(chunk.content);
  }
}
