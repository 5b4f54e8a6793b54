// Runs one streamed run and routes its events to the log, graph, messages and state.

import { pendingInterrupts } from "./store.js";

export const STREAM_MODES = ["values", "updates", "messages-tuple", "custom", "tasks"];

export class RunStream {
  /**
   * @param {object} deps {store, log: EventLog, messages: Messages, graph: GraphView}
   */
  constructor({ store, log, messages, graph }) {
    this.store = store;
    this.log = log;
    this.messages = messages;
    this.graph = graph;
    this.controller = null;
    this.runId = null;
  }

  /** Stream a run on the current thread; resolves when it ends. */
  async run(extra) {
    const { store } = this;
    const thread = store.thread || (await store.newThread());
    const body = {
      assistant_id: store.assistant.assistant_id,
      stream_mode: STREAM_MODES,
      stream_subgraphs: true,
      on_disconnect: "cancel",
      ...extra,
    };
    this.controller = new AbortController();
    this.runId = null;
    this.graph.clear();
    this.messages.clear();
    store.setRunning(true);
    store.status("Running…");
    let failed = null;
    try {
      for await (const event of store.api.streamRun(thread.thread_id, body, this.controller.signal)) {
        this.handle(event.event, event.data);
        if (event.event === "error") failed = event.data;
      }
    } catch (err) {
      if (err.name !== "AbortError") failed = err.message;
    } finally {
      this.controller = null;
      store.setRunning(false);
    }
    await store.guard(() => store.refreshState());
    store.status(...outcome(failed, this.cancelled, store.snapshot));
    this.cancelled = false;
  }

  handle(name, data) {
    this.log.add(name, data);
    const [mode, ...namespace] = name.split("|");
    if (mode === "metadata") {
      this.runId = data?.run_id ?? this.runId;
      this.store.emit("threads-changed"); // the thread is busy now
    }
    else if (mode === "tasks") this.task(data, namespace);
    else if (mode === "updates") this.updates(data, namespace);
    else if (mode === "messages") this.messages.add(data);
    else if (mode === "values" && namespace.length === 0) this.store.emit("values", data);
  }

  task(data, namespace) {
    if (!data?.name) return;
    const finished = "result" in data || "error" in data || "interrupts" in data;
    let state = "running";
    if (finished) state = data.error ? "error" : data.interrupts?.length ? "interrupted" : "done";
    this.graph.mark(data.name, state, namespace);
  }

  updates(data, namespace) {
    for (const node of Object.keys(data || {})) {
      if (node === "__interrupt__") continue;
      this.graph.mark(node, "done", namespace);
    }
  }

  /** Stop the run: ask the server to cancel it, then drop the connection. */
  async cancel() {
    if (!this.controller) return;
    this.cancelled = true;
    const threadId = this.store.thread?.thread_id;
    if (this.runId && threadId) await this.store.guard(() => this.store.api.cancel(threadId, this.runId));
    this.controller?.abort();
  }
}

/** The status line after a run: [text, kind]. */
function outcome(failed, cancelled, snapshot) {
  if (failed) return [`Run failed: ${typeof failed === "string" ? failed : JSON.stringify(failed)}`, "error"];
  if (cancelled) return ["Run cancelled", "info"];
  if (pendingInterrupts(snapshot).length) return ["Run interrupted: answer below to resume", "info"];
  if (snapshot?.next?.length) return [`Run paused before ${snapshot.next.join(", ")}`, "info"];
  return ["Run finished", "info"];
}
