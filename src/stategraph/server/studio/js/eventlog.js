// The live event log of streamed runs, plus the streamed message tokens.
import { clock, fill, h } from "./dom.js";

const MAX_ROWS = 500;

/** A one-line summary of an event's data. */
export function summarize(mode, data) {
  if (mode === "updates" && data && typeof data === "object") {
    return Object.entries(data).map(([node, update]) => `${node}: ${JSON.stringify(update)}`).join("; ");
  }
  if (mode === "tasks" && data) {
    if ("result" in data || "error" in data || "interrupts" in data) {
      return `${data.name} finished${data.error ? ` with error ${data.error}` : ""}${data.interrupts?.length ? " (interrupted)" : ""}`;
    }
    return `${data.name} started`;
  }
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
    const row = h("li", { class: `event ev-${mode}`, dataset: { mode } },
      h("span", { class: "muted" }, clock()),
      h("span", { class: "ev-name" }, mode),
      namespace.length ? h("span", { class: "ev-ns" }, namespace.join("|")) : null,
      h("span", { class: "ev-data" }, summarize(mode, data).slice(0, 400)));
    row.title = JSON.stringify(data, null, 2)?.slice(0, 4000) ?? "";
    this.list.append(row);
    while (this.list.children.length > MAX_ROWS) this.list.firstChild.remove();
    this.list.scrollTop = this.list.scrollHeight;
  }
}

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
        h("span", { class: "who" }, `${chunk.type || "ai"} · ${meta?.langgraph_node ?? ""}`), h("span", { class: "text" }));
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
