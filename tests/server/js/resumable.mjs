// Resumable streams: leave a run that goes on ("continue"), join it again
// from the last event id, replay it whole, and let the SDK reconnect by
// itself (Location + Last-Event-ID) when the connection breaks mid-run.
import { args, client, collect, finish, pause } from "./lib.mjs";

const api = await client();
const input = (gate) => ({ messages: [{ type: "human", content: "hi" }], gate });
const modes = ["values", "updates"];
const brief = (parts) => parts.map((p) => [p.id, p.event]);

// 1. Disconnect while the run is held at its gate; it must go on.
const thread = await api.threads.create();
const abort = new AbortController();
const before = [];
let runId;
for await (const part of api.runs.stream(thread.thread_id, "agent", {
  input: input(args.gates[0]),
  streamMode: modes,
  streamResumable: true,
  onDisconnect: "continue",
  signal: abort.signal,
  onRunCreated: ({ run_id }) => {
    runId = run_id;
  },
})) {
  before.push(part);
  if (part.event === "values") {
    abort.abort();
    break;
  }
}
const lastEventId = before.at(-1).id;
const rest = collect(api.runs.joinStream(thread.thread_id, runId, { lastEventId }));
await pause("release", { gate: args.gates[0] });
const after = await rest;
const replay = await collect(api.runs.joinStream(thread.thread_id, runId, { lastEventId: "-1" }));
const final = await api.threads.getState(thread.thread_id);

// 2. The connection breaks after the first "values" frame while the run goes
// on: the SDK reconnects by itself, at the Location the server gave, from the
// last event id it read.
function flakyClient(cutPath) {
  const flaky = { requests: [] };
  let cut = 0;
  flaky.reconnecting = new Promise((resolve) => {
    flaky.reconnected = resolve;
  });
  flaky.seeingValues = new Promise((resolve) => {
    flaky.valuesSeen = resolve;
  });
  flaky.fetch = async (url, init) => {
    const path = new URL(url).pathname.replace(/[0-9a-f-]{36}/g, "<id>");
    const last = new Headers(init?.headers).get("last-event-id");
    flaky.requests.push([init?.method ?? "GET", path, last]);
    if (cut && last !== null) flaky.reconnected();
    const response = await fetch(url, init);
    if (path !== cutPath || cut++) return response;
    return new Response(untilValues(response.body, flaky.seeingValues), response);
  };
  return flaky;
}
// The body up to the end of its first "values" frame; once the reader has
// that frame, the socket "drops" (an error, as a reset connection gives).
function untilValues(source, seeingValues) {
  const reader = source.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  let sent = false;
  return new ReadableStream({
    async pull(controller) {
      if (sent) {
        await seeingValues;
        await reader.cancel();
        return controller.error(new TypeError("terminated"));
      }
      let end = null;
      while (!end) {
        const read = await reader.read();
        seen += decoder.decode(read.value, { stream: true });
        end = /event: values\r?\n[^]*?\r?\n\r?\n/.exec(seen);
      }
      controller.enqueue(new TextEncoder().encode(seen.slice(0, end.index + end[0].length)));
      sent = true;
    },
  });
}
async function healing(flaky, stream, gate) {
  const streaming = (async () => {
    const parts = [];
    for await (const part of stream) {
      parts.push(part);
      if (part.event === "values") flaky.valuesSeen();
    }
    return parts;
  })();
  await flaky.reconnecting;
  await pause("release", { gate });
  const parts = await streaming;
  return {
    events: parts.map((p) => p.event),
    ids: parts.map((p) => p.id),
    requests: flaky.requests.filter(([, path]) => path.endsWith("/stream")),
  };
}

const cutStream = flakyClient("/threads/<id>/runs/stream");
const viaStream = await client({ callerOptions: { fetch: cutStream.fetch } });
const other = await api.threads.create();
const healed = await healing(
  cutStream,
  viaStream.runs.stream(other.thread_id, "agent", {
    input: input(args.gates[1]),
    streamMode: modes,
    streamResumable: true,
    onDisconnect: "continue",
  }),
  args.gates[1],
);

// 3. The same for a joined stream (its Location is where to reconnect).
const cutJoin = flakyClient("/threads/<id>/runs/<id>/stream");
const viaJoin = await client({ callerOptions: { fetch: cutJoin.fetch } });
const third = await api.threads.create();
const background = await api.runs.create(third.thread_id, "agent", {
  input: input(args.gates[2]),
  streamMode: modes,
  streamResumable: true,
});
const rejoined = await healing(
  cutJoin,
  viaJoin.runs.joinStream(third.thread_id, background.run_id, { lastEventId: "-1" }),
  args.gates[2],
);

finish({
  before: brief(before),
  after: brief(after),
  replay: brief(replay),
  final: final.values.messages.map((m) => m.content),
  healed,
  rejoined,
});
