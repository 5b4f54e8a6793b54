// Shared Studio state with change notifications; panels subscribe to what they show.
import { Api } from "./api.js";

export class Store extends EventTarget {
  constructor(api = new Api()) {
    super();
    this.api = api;
    this.assistants = [];
    this.assistant = null; // the selected assistant record
    this.graph = null; // its graph JSON
    this.schemas = null;
    this.xray = false;
    this.thread = null; // the selected thread record
    this.snapshot = null; // its current state
    this.running = false;
  }

  /** Notify listeners: "assistant", "graph", "thread", "state", "running", "status". */
  emit(name, detail = null) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  on(name, listener) {
    this.addEventListener(name, (event) => listener(event.detail));
  }

  /** Show a message in the status bar (errors stay until the next message). */
  status(text, kind = "info") {
    this.emit("status", { text, kind });
  }

  /** Run an async action, showing its error in the status bar instead of throwing. */
  async guard(action) {
    try {
      return await action();
    } catch (err) {
      this.status(err.message || String(err), "error");
      return undefined;
    }
  }

  async loadAssistants(selectId = null) {
    // Grouped by graph, each graph's own (system) assistant first.
    const system = (a) => (a.metadata?.created_by === "system" ? 0 : 1);
    this.assistants = (await this.api.assistants()).sort((a, b) =>
      a.graph_id.localeCompare(b.graph_id) || system(a) - system(b) || String(a.name).localeCompare(String(b.name)));
    this.emit("assistants", this.assistants);
    const wanted = selectId || this.assistant?.assistant_id;
    const pick = this.assistants.find((a) => a.assistant_id === wanted) || this.assistants[0];
    if (pick) await this.selectAssistant(pick.assistant_id);
  }

  async selectAssistant(assistantId) {
    this.assistant = this.assistants.find((a) => a.assistant_id === assistantId)
      || (await this.api.assistant(assistantId));
    const [graph, schemas] = await Promise.all([
      this.api.graph(assistantId, this.xray),
      this.api.schemas(assistantId).catch(() => null),
    ]);
    this.graph = graph;
    this.schemas = schemas;
    this.emit("assistant", this.assistant);
    this.emit("graph", graph);
    // A thread of another graph cannot run this one: start from no thread.
    const threadGraph = this.thread?.metadata?.graph_id;
    if (this.thread && threadGraph && threadGraph !== this.assistant.graph_id) await this.selectThread(null);
  }

  async setXray(on) {
    this.xray = on;
    if (!this.assistant) return;
    this.graph = await this.api.graph(this.assistant.assistant_id, on);
    this.emit("graph", this.graph);
  }

  async selectThread(thread) {
    this.thread = thread;
    this.emit("thread", thread);
    await this.refreshState();
  }

  async refreshState() {
    if (!this.thread) {
      this.snapshot = null;
    } else {
      const id = this.thread.thread_id;
      const [thread, snapshot] = await Promise.all([this.api.get(`/threads/${id}`), this.api.state(id)]);
      this.thread = thread;
      this.snapshot = snapshot;
    }
    this.emit("state", this.snapshot);
  }

  /** A new thread tagged with the current graph, selected. */
  async newThread() {
    const thread = await this.api.createThread({ graph_id: this.assistant?.graph_id });
    this.emit("threads-changed");
    await this.selectThread(thread);
    return thread;
  }

  setRunning(on) {
    this.running = on;
    this.emit("running", on);
  }
}

/** Interrupts pending in a state snapshot, from its tasks (or its top-level list). */
export function pendingInterrupts(snapshot) {
  if (!snapshot) return [];
  const fromTasks = (snapshot.tasks || []).flatMap((task) => task.interrupts || []);
  return fromTasks.length ? fromTasks : snapshot.interrupts || [];
}
