// Studio entry point: builds the panels and wires them to one shared store.
import { $ } from "./dom.js";
import { Api } from "./api.js";
import { AssistantPanel, assistantPicker } from "./assistants.js";
import { EventLog, Messages } from "./eventlog.js";
import { GraphView } from "./graphview.js";
import { HistoryPanel } from "./history.js";
import { RunPanel } from "./run.js";
import { StatePanel } from "./statepanel.js";
import { Store } from "./store.js";
import { RunStream } from "./stream.js";
import { ThreadsPanel } from "./threads.js";

function tabs(store) {
  const show = (name) => {
    for (const button of document.querySelectorAll(".tabs button")) {
      button.classList.toggle("active", button.dataset.tab === name);
    }
    for (const pane of document.querySelectorAll(".tab-pane")) pane.hidden = pane.id !== `tab-${name}`;
  };
  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => show(button.dataset.tab));
  }
  show("state");
  store.on("running", (on) => on && show("events"));
  return show;
}

function statusBar(store) {
  const bar = $("#status");
  store.on("status", ({ text, kind }) => {
    bar.textContent = text;
    bar.className = `status ${kind}`;
  });
}

export async function start(base = "") {
  const api = new Api(base);
  const store = new Store(api);
  window.studio = store; // handy in the devtools console
  statusBar(store);
  const graph = new GraphView($("#graph"));
  const log = new EventLog($("#tab-events"));
  const messages = new Messages(document.createElement("div"));
  const stream = new RunStream({ store, log, messages, graph });
  const runPanel = new RunPanel(store, $("#run-panel"), stream);
  messages.root = $("#messages");
  new ThreadsPanel(store, $("#threads-panel"));
  new StatePanel(store, $("#tab-state"));
  new HistoryPanel(store, $("#tab-history"), runPanel);
  new AssistantPanel(store, $("#tab-assistant"));
  assistantPicker(store, $("#assistant-select"));
  tabs(store);
  store.on("graph", (json) => {
    graph.render(json);
    document.body.dataset.assistant = store.assistant?.assistant_id ?? "";
    document.body.dataset.xray = String(store.xray);
  });
  store.on("thread", () => graph.clear());
  store.on("state", (snapshot) => {
    for (const task of snapshot?.tasks || []) {
      graph.mark(task.name, task.error ? "error" : task.interrupts?.length ? "interrupted" : "next");
    }
  });
  store.on("breakpoints", ({ before, after }) => graph.breakpoints(before, after));
  $("#xray").addEventListener("change", (e) => store.guard(() => store.setXray(e.target.checked)));
  store.emit("thread", null);
  const info = await store.guard(() => api.info());
  if (info) $("#server").textContent = `${info.server || "server"} ${info.version || ""}`;
  await store.guard(() => store.loadAssistants());
  document.body.dataset.ready = "true";
  return store;
}

const params = new URLSearchParams(location.search);
start(params.get("baseUrl") || "");
