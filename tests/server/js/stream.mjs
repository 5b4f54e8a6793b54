// runs.stream with the modes agent-chat-ui's hook asks for, subgraphs
// included, and a chat model's tokens through "messages-tuple".
import { client, collect, finish } from "./lib.mjs";

const api = await client();
const thread = await api.threads.create();
const parts = await collect(
  api.runs.stream(thread.thread_id, "agent", {
    input: { messages: [{ type: "human", content: "hi" }] },
    streamMode: ["values", "messages-tuple", "updates", "custom"],
    streamSubgraphs: true,
  }),
);
// Subgraph events are "<mode>|<node>:<task id>"; the task id varies per run.
const name = (event) => event.replace(/:[0-9a-f-]{36}$/, ":<task>");
const tuples = parts.filter((p) => p.event.startsWith("messages"));
const metadata = parts[0].data;

const talk = await api.threads.create();
const tokens = await collect(
  api.runs.stream(talk.thread_id, "talk", {
    input: { messages: [{ type: "human", content: "hi" }] },
    streamMode: "messages-tuple",
  }),
);
const chunks = tokens.filter((p) => p.event === "messages");

finish({
  events: parts.map((p) => name(p.event)),
  run_id: typeof metadata.run_id === "string" && metadata.attempt === 1,
  custom: parts.filter((p) => p.event.startsWith("custom")).map((p) => p.data),
  updates: parts.filter((p) => p.event === "updates").map((p) => Object.keys(p.data)),
  tuples: tuples.map(({ data: [chunk, meta] }) => [
    chunk.type,
    chunk.content,
    meta.langgraph_node,
  ]),
  last: parts.findLast((p) => p.event === "values").data.messages.map((m) => m.content),
  tokens: chunks.map((p) => p.data[0].content),
  token_types: [...new Set(chunks.map((p) => p.data[0].type))],
  token_ids: new Set(chunks.map((p) => p.data[0].id)).size,
  token_node: [...new Set(chunks.map((p) => p.data[1].langgraph_node))],
});
