// A second run on a busy thread under each multitask strategy, and
// runs.cancel, as the JS client sends them.
import { args, client, finish, pause, status } from "./lib.mjs";

const api = await client();
const input = (gate) => ({ messages: [{ type: "human", content: "hi" }], gate });
const out = {};
const held = async (gate) => {
  const thread = await api.threads.create();
  const run = await api.runs.create(thread.thread_id, "agent", { input: input(gate) });
  await pause("entered", { gate });
  return [thread.thread_id, run.run_id];
};
const runStatus = (threadId, runId) => api.runs.get(threadId, runId).then((r) => r.status);

// reject, then enqueue behind the held run.
{
  const [threadId, first] = await held(args.gates[0]);
  out.reject = await status(
    api.runs.create(threadId, "agent", { input: input(""), multitaskStrategy: "reject" }),
  );
  out.busy = (await api.threads.get(threadId)).status;
  const queued = await api.runs.create(threadId, "agent", {
    input: input(""),
    multitaskStrategy: "enqueue",
  });
  out.queued = await runStatus(threadId, queued.run_id);
  await pause("release", { gate: args.gates[0] });
  const values = await api.runs.join(threadId, queued.run_id);
  out.enqueue = [
    await runStatus(threadId, first),
    await runStatus(threadId, queued.run_id),
    values.messages.length,
  ];
}

// interrupt and rollback: the held run stops; its successor runs.
for (const [strategy, gate] of [["interrupt", args.gates[1]], ["rollback", args.gates[2]]]) {
  const [threadId, first] = await held(gate);
  const values = await api.runs.wait(threadId, "agent", {
    input: input(""),
    multitaskStrategy: strategy,
  });
  out[strategy] = [
    await status(runStatus(threadId, first)),
    await runStatus(threadId, first).catch(() => null),
    values.messages.map((m) => m.content),
  ];
}

// runs.cancel waits for the cancelled run to stop.
{
  const [threadId, first] = await held(args.gates[3]);
  await api.runs.cancel(threadId, first, true);
  out.cancel = [await runStatus(threadId, first), (await api.threads.get(threadId)).status];
}
finish(out);
