// Studio entry point: builds the panels and wires them to one shared store.
import { $, parseJson } from "./dom.js";
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

const HEADERS_KEY = "stategraph-studio.headers";

/** The header editor: extra request headers (JSON), kept in localStorage. */
function headersEditor(store) {
  const box = $("#headers-box");
  const text = $("#headers-json");
  text.value = JSON.stringify(store.api.headers, null, 2);
  $("#headers-toggle").addEventListener("click", () => { box.hidden = !box.hidden; });
  $("#headers-save").addEventListener("click", () => {
    const parsed = parseJson(text.value);
    const value = parsed.value ?? {};
    const bad = parsed.error || (typeof value !== "object" || Array.isArray(value) ? "Headers must be a JSON object." : "");
    $("#headers-error").textContent = bad;
    $("#headers-error").hidden = !bad;
    if (bad) return;
    localStorage.setItem(HEADERS_KEY, JSON.stringify(value));
    store.api.headers = value;
    box.hidden = true;
    store.guard(() => store.loadAssistants());
  });
}

function savedHeaders() {
  try {
    return JSON.parse(localStorage.getItem(HEADERS_KEY) || "{}") || {};
  } catch {
    return {};
  }
}

export async function start(base = "") {
  const api = new Api(base, savedHeaders());
  const store = new Store(api);
  window.studio = store; // handy in the devtools console
  statusBar(store);
  headersEditor(store);
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
  store.on("checkpoint", (state) => {
    if (store.running || !state) return;
    graph.clear();
    for (const name of state.next || []) graph.mark(name, "next");
  });
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
// Served under http.mount_prefix, the API is where the Studio's path starts.
const mounted = location.pathname.replace(/\/studio(\/.*)?$/, "");
start(params.get("baseUrl") || mounted);
