// Time travel: list checkpoints, view one, fork (edit state there) or replay from it.
import { $, clock, fill, h, parseJson, shortId } from "./dom.js";
import { jsonView, pretty } from "./jsonview.js";

/** The top-level keys of edited whose value differs from original (reducers apply to them). */
export function changedKeys(edited, original) {
  if (!edited || typeof edited !== "object" || Array.isArray(edited) || !original) return edited;
  const same = (key) => JSON.stringify(edited[key]) === JSON.stringify(original[key]);
  return Object.fromEntries(Object.entries(edited).filter(([key]) => !same(key)));
}

export class HistoryPanel {
  constructor(store, root, runPanel) {
    this.store = store;
    this.root = root;
    this.runPanel = runPanel;
    this.selected = null;
    fill(root,
      h("div", { class: "panel-head" }, h("h2", {}, "History"),
        h("button", { class: "small", id: "history-refresh", onclick: () => this.reload() }, "Refresh")),
      h("ol", { id: "history-list", class: "list" }),
      h("div", { id: "checkpoint-view" }));
    store.on("state", () => this.reload());
  }

  async reload() {
    const thread = this.store.thread;
    if (!thread) {
      fill($("#history-list", this.root), h("li", { class: "empty" }, "Select a thread."));
      fill($("#checkpoint-view", this.root));
      return;
    }
    const states = (await this.store.guard(() => this.store.api.history(thread.thread_id))) || [];
    fill($("#history-list", this.root), states.length ? states.map((state) => this.item(state))
      : h("li", { class: "empty" }, "No checkpoints yet."));
    const still = states.find((s) => s.checkpoint?.checkpoint_id === this.selected?.checkpoint?.checkpoint_id);
    this.select(still || null);
  }

  item(state) {
    const meta = state.metadata || {};
    const writes = meta.writes ? Object.keys(meta.writes).join(", ") : "";
    return h("li", {
      class: "checkpoint",
      dataset: { checkpointId: state.checkpoint?.checkpoint_id, step: meta.step },
      onclick: () => this.select(state),
    },
    h("span", { class: "badge" }, `step ${meta.step ?? "?"}`),
    h("span", {}, meta.source ?? ""),
    h("span", { class: "mono" }, (state.next || []).length ? `→ ${state.next.join(", ")}` : writes),
    h("span", { class: "muted" }, `${shortId(state.checkpoint?.checkpoint_id)} ${clock(state.created_at)}`));
  }

  select(state) {
    this.selected = state;
    for (const li of this.root.querySelectorAll("li.checkpoint")) {
      li.classList.toggle("selected", li.dataset.checkpointId === state?.checkpoint?.checkpoint_id);
    }
    const view = $("#checkpoint-view", this.root);
    this.store.emit("checkpoint", state);
    if (!state) return fill(view);
    const fork = async () => {
      const parsed = parseJson($("#fork-values", view).value, { allowEmpty: false });
      $("#fork-error", view).textContent = parsed.error || "";
      $("#fork-error", view).hidden = !parsed.error;
      if (parsed.error) return;
      await this.store.guard(async () => {
        const body = { values: changedKeys(parsed.value, state.values), checkpoint: state.checkpoint };
        const asNode = $("#fork-as-node", view).value.trim();
        if (asNode) body.as_node = asNode;
        const result = await this.store.api.updateState(this.store.thread.thread_id, body);
        this.store.status(`Forked: new checkpoint ${shortId(result?.checkpoint?.checkpoint_id)}`);
        await this.store.refreshState();
      });
    };
    const replay = () => this.runPanel.start({ input: null, checkpoint: state.checkpoint });
    fill(view,
      h("h3", {}, `Checkpoint ${shortId(state.checkpoint?.checkpoint_id)} (step ${state.metadata?.step})`),
      h("div", { id: "checkpoint-values" }, jsonView(state.values, { open: 2 })),
      h("label", {}, "Edit values to fork here (changed keys are sent as an update, through the reducers)"),
      h("textarea", { id: "fork-values", class: "code", rows: 5, spellcheck: "false" }, pretty(state.values)),
      h("input", { id: "fork-as-node", placeholder: "as node (optional)" }),
      h("div", { id: "fork-error", class: "error", hidden: true }),
      h("div", { class: "row" },
        h("button", { id: "fork", class: "primary", onclick: fork }, "Fork"),
        h("button", { id: "replay", onclick: replay }, "Replay from here")));
  }
}
