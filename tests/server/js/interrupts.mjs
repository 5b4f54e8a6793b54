// An interrupt seen by the JS client (stream, thread, state) and resumed
// with command {resume}, streamed and waited on.
import { client, collect, finish } from "./lib.mjs";

const api = await client();
const thread = await api.threads.create();
const input = { messages: [{ type: "human", content: "hi" }], need_review: true };
const parts = await collect(
  api.runs.stream(thread.thread_id, "agent", { input, streamMode: ["values", "updates"] }),
);
const interrupted = await api.threads.get(thread.thread_id);
const state = await api.threads.getState(thread.thread_id);
const [interruptId] = Object.keys(interrupted.interrupts);

const resumed = await collect(
  api.runs.stream(thread.thread_id, "agent", {
    command: { resume: "yes" },
    streamMode: "values",
  }),
);
const after = await api.threads.get(thread.thread_id);

// Again, resumed through runs.wait with the interrupt's id.
await api.runs.wait(thread.thread_id, "agent", { input });
const again = await api.threads.get(thread.thread_id);
const [againId] = Object.keys(again.interrupts);
const waited = await api.runs.wait(thread.thread_id, "agent", {
  command: { resume: { [again.interrupts[againId][0].id]: "sure" } },
});

const last = (events, name) => events.findLast((p) => p.event === name).data;
finish({
  stream_interrupt: last(parts, "values").__interrupt__,
  update_interrupt: last(parts, "updates").__interrupt__,
  thread: [interrupted.status, interrupted.interrupts[interruptId]],
  task_id: interruptId === state.tasks[0].id,
  state: {
    next: state.next,
    tasks: state.tasks.map((t) => [t.name, t.interrupts.map((i) => i.value)]),
    interrupts: state.interrupts?.map((i) => i.value),
  },
  resumed_log: last(resumed, "values").log,
  resumed_interrupt: last(resumed, "values").__interrupt__ ?? null,
  after: [after.status, after.interrupts],
  waited_log: waited.log,
});
