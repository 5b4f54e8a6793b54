// The selected thread's current state: values, next, tasks and interrupts.
import { fill, h, shortId } from "./dom.js";
import { jsonView } from "./jsonview.js";
import { pendingInterrupts } from "./store.js";

export class StatePanel {
  constructor(store, root) {
    this.root = root;
    this.store = store;
    store.on("state", (snapshot) => this.draw(snapshot));
    store.on("values", (values) => this.live(values));
    this.draw(null);
  }

  draw(snapshot) {
    const thread = this.store.thread;
    if (!thread) {
      fill(this.root, h("p", { class: "empty" }, "Select or create a thread to see its state."));
      return;
    }
    const interrupts = pendingInterrupts(snapshot);
    fill(this.root,
      h("dl", { class: "facts" },
        h("dt", {}, "thread"), h("dd", { class: "mono", id: "state-thread" }, thread.thread_id),
        h("dt", {}, "status"), h("dd", {}, h("span", { id: "state-status", class: `badge ${thread.status}` }, thread.status)),
        h("dt", {}, "next"), h("dd", { id: "state-next", class: "mono" }, (snapshot?.next || []).join(", ") || "—"),
        h("dt", {}, "checkpoint"), h("dd", { class: "mono" }, shortId(snapshot?.checkpoint?.checkpoint_id) || "—"),
        h("dt", {}, "step"), h("dd", {}, snapshot?.metadata?.step ?? "—")),
      h("h3", {}, "Values"),
      h("div", { id: "state-values" }, jsonView(snapshot?.values ?? null, { open: 3 })),
      (snapshot?.tasks || []).length ? [h("h3", {}, "Tasks"), h("div", { id: "state-tasks" }, jsonView(snapshot.tasks.map(taskSummary), { open: 1 }))] : null,
      interrupts.length ? [h("h3", {}, "Interrupts"), h("div", { id: "state-interrupts" }, jsonView(interrupts, { open: 3 }))] : null);
  }

  /** Values streamed during a run, shown before the run's final state arrives. */
  live(values) {
    const host = this.root.querySelector("#state-values");
    if (host) fill(host, jsonView(values, { open: 3 }));
  }
}

function taskSummary(task) {
  const out = { name: task.name, id: task.id };
  if (task.error) out.error = task.error;
  if (task.interrupts?.length) out.interrupts = task.interrupts;
  if (task.state) out.subgraph = task.state;
  return out;
}
