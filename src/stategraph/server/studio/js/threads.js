// The thread list: search, create, delete, select.
import { $, clock, fill, h, shortId } from "./dom.js";

export class ThreadsPanel {
  constructor(store, root) {
    this.store = store;
    this.root = root;
    this.threads = [];
    fill(root,
      h("div", { class: "panel-head" }, h("h2", {}, "Threads"),
        h("button", { id: "new-thread", class: "primary", onclick: () => store.guard(() => store.newThread()) }, "+ New")),
      h("input", { id: "thread-search", type: "search", placeholder: "Search id or metadata", oninput: () => this.draw() }),
      h("div", { class: "row" },
        h("select", { id: "thread-status", onchange: () => this.reload() },
          ["", "idle", "busy", "interrupted", "error"].map((s) => h("option", { value: s }, s || "any status"))),
        h("label", { class: "check" }, h("input", { id: "thread-graph-only", type: "checkbox", checked: true, onchange: () => this.reload() }), "this graph")),
      h("ul", { id: "thread-list", class: "list" }));
    store.on("assistant", () => this.reload());
    store.on("threads-changed", () => this.reload());
    store.on("state", () => this.reload());
  }

  async reload() {
    const store = this.store;
    const body = { limit: 100, offset: 0, sort_by: "updated_at", sort_order: "desc" };
    const status = $("#thread-status", this.root).value;
    if (status) body.status = status;
    if ($("#thread-graph-only", this.root).checked && store.assistant) body.metadata = { graph_id: store.assistant.graph_id };
    const threads = await store.guard(() => store.api.threads(body));
    if (threads) this.threads = threads;
    this.draw();
  }

  draw() {
    const query = $("#thread-search", this.root).value.trim().toLowerCase();
    const shown = this.threads.filter((t) => !query || JSON.stringify([t.thread_id, t.metadata]).toLowerCase().includes(query));
    const selected = this.store.thread?.thread_id;
    fill($("#thread-list", this.root), shown.length ? shown.map((thread) => this.item(thread, selected))
      : h("li", { class: "empty" }, "No threads yet: press + New or run the graph."));
  }

  item(thread, selected) {
    const store = this.store;
    const remove = async (event) => {
      event.stopPropagation();
      await store.guard(async () => {
        await store.api.deleteThread(thread.thread_id);
        if (store.thread?.thread_id === thread.thread_id) await store.selectThread(null);
        store.status(`Deleted thread ${shortId(thread.thread_id)}`);
        await this.reload();
      });
    };
    return h("li", {
      class: `thread${thread.thread_id === selected ? " selected" : ""}`,
      dataset: { threadId: thread.thread_id },
      onclick: () => store.guard(() => store.selectThread(thread)),
    },
    h("span", { class: "mono" }, shortId(thread.thread_id)),
    h("span", { class: `badge ${thread.status}` }, thread.status),
    h("span", { class: "muted" }, clock(thread.updated_at)),
    h("button", { class: "icon delete-thread", title: "Delete thread", onclick: remove }, "×"));
  }
}
