// Assistants, threads, runs.wait/join/cancel and the store, called as
// agent-chat-ui and ordinary JS clients call them.
import { args, client, finish, status } from "./lib.mjs";

const api = await client();
const out = {};

const found = await api.assistants.search({ graphId: "agent", limit: 100 });
const assistant = await api.assistants.get(found[0].assistant_id);
const graph = await api.assistants.getGraph(assistant.assistant_id, { xray: true });
const schemas = await api.assistants.getSchemas(assistant.assistant_id);
out.assistants = {
  found: found.map((a) => a.graph_id),
  graph_id: assistant.graph_id,
  nodes: graph.nodes.map((n) => n.id).sort(),
  state_keys: Object.keys(schemas.state_schema.properties).sort(),
};

// agent-chat-ui lists a graph's threads by the metadata the server adds.
const thread = await api.threads.create({ metadata: { owner: args.owner } });
const input = { messages: [{ type: "human", content: "hi" }] };
const values = await api.runs.wait(thread.thread_id, "agent", { input });
const listed = await api.threads.search({
  metadata: { graph_id: "agent", owner: args.owner },
  limit: 100,
});
const state = await api.threads.getState(thread.thread_id);
const history = await api.threads.getHistory(thread.thread_id, { limit: 10 });
const fetched = await api.threads.get(thread.thread_id);
out.threads = {
  wait: values.messages.map((m) => `${m.type}:${m.content}`),
  listed: listed.map((t) => t.thread_id === thread.thread_id),
  status: fetched.status,
  metadata: { graph_id: fetched.metadata.graph_id, owner: fetched.metadata.owner },
  next: state.next,
  parent: state.parent_checkpoint?.checkpoint_id === history[1].checkpoint.checkpoint_id,
  history: history.map((s) => s.metadata.step),
  limited: (await api.threads.getHistory(thread.thread_id, { limit: 2 })).length,
};

// A background run, joined; then one listed and fetched.
const run = await api.runs.create(thread.thread_id, "agent", { input });
const joined = await api.runs.join(thread.thread_id, run.run_id);
const runs = await api.runs.list(thread.thread_id);
out.runs = {
  joined: joined.messages.length,
  listed: runs.map((r) => r.status),
  got: (await api.runs.get(thread.thread_id, run.run_id)).status,
  cancel_done: await status(api.runs.cancel(thread.thread_id, run.run_id)),
  missing: await status(api.threads.get("00000000-0000-0000-0000-000000000000")),
};

const ns = ["js", args.owner];
await api.store.putItem(ns, "a", { text: "apples", n: 1 });
await api.store.putItem(ns, "b", { text: "pears", n: 2 });
const item = await api.store.getItem(ns, "a");
const searched = await api.store.searchItems(ns, { filter: { n: 2 }, limit: 10 });
const spaces = await api.store.listNamespaces({ prefix: ["js"] });
await api.store.deleteItem(ns, "a");
out.store = {
  item: [item.namespace, item.key, item.value],
  searched: searched.items.map((i) => i.key),
  spaces: spaces.namespaces.some((n) => n.join("/") === ns.join("/")),
  deleted: await api.store.getItem(ns, "a"),
};
finish(out);
