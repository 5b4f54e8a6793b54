// The `useStream` React hook driven as agent-chat-ui drives it: submit with
// optimistic values, history, branches (regenerate from a checkpoint),
// interrupts resumed by command, tokens streamed, and rejoining a run.
import { args, client, finish, mount, note, pause } from "./lib.mjs";

const human = (content) => ({ type: "human", content });
const texts = (messages) => messages.map((m) => `${m.type}:${m.content}`);
// agent-chat-ui's options for every submit.
const chatOptions = { streamMode: ["values"], streamSubgraphs: true, streamResumable: true };

async function chat() {
  const custom = [];
  let props;
  const view = await mount(
    (props = {
      apiUrl: args.url,
      assistantId: "agent",
      threadId: null,
      fetchStateHistory: true,
      onCustomEvent: (event) => custom.push(event),
      // agent-chat-ui keeps the thread id in the URL and passes it back.
      onThreadId: (id) => view.update((props = { ...props, threadId: id })),
    }),
  );
  const seen = [];
  view.onRender = (stream) => seen.push(texts(stream.messages).join("|"));
  const hi = human("hi");
  await view.current.submit(
    { messages: [hi] },
    {
      ...chatOptions,
      optimisticValues: (prev) => ({ ...prev, messages: [...(prev.messages ?? []), hi] }),
    },
  );
  let stream = await view.until((s) => !s.isLoading && s.history?.length === 6);
  const threadId = props.threadId;
  const first = {
    thread: typeof threadId === "string",
    messages: texts(stream.messages),
    optimistic: seen.includes("human:hi"),
    custom,
    values: Object.keys(stream.values).sort(),
    history: stream.history.length,
    error: stream.error ?? null,
    interrupt: stream.interrupt ?? null,
  };

  // A page reload: a fresh hook on the thread loads its history.
  view.unmount();
  const reloaded = await mount({ ...props, onThreadId: undefined });
  stream = await reloaded.until((s) => !s.isLoading && s.history?.length > 0);
  reloaded.unmount();

  const api = await client();
  const listed = await api.threads.search({ metadata: { graph_id: "agent" }, limit: 100 });
  return {
    first,
    reloaded: texts(stream.messages),
    listed: listed.some((t) => t.thread_id === threadId),
  };
}

// A chat model's reply shows up token by token ("messages-tuple", which the
// hook adds when `messages` is read) while the run goes on; regenerated from
// the checkpoint before it, it gives two branches to switch between.
async function branches() {
  let props;
  const view = await mount(
    (props = {
      apiUrl: args.url,
      assistantId: "typist",
      threadId: null,
      fetchStateHistory: true,
      onThreadId: (id) => view.update((props = { ...props, threadId: id })),
    }),
  );
  const submitted = view.current.submit(
    { messages: [human("hi")], gate: args.gates[0] },
    chatOptions,
  );
  // The model holds after its first token: the hook shows that token now.
  note("submitted");
  let stream = await view.until((s) => s.messages.at(-1)?.type === "ai");
  const typing = [stream.isLoading, texts(stream.messages)];
  await pause("release", { gate: args.gates[0] });
  await submitted;
  note("streamed", texts(view.current.messages), view.current.history?.length);
  stream = await view.until((s) => !s.isLoading && s.history?.length === 3);
  const answer = stream.messages[1];
  const meta = stream.getMessagesMetadata(answer);
  await stream.submit(undefined, { ...chatOptions, checkpoint: meta.firstSeenState.parent_checkpoint });
  note("regenerating", answer.id);
  stream = await view.until((s) => !s.isLoading && s.messages[1]?.id !== answer.id);
  note("regenerated", stream.messages[1].id);
  const again = stream.getMessagesMetadata(stream.messages[1]);
  stream.setBranch(again.branchOptions[0]);
  stream = await view.until((s) => s.branch === again.branchOptions[0]);
  const switched = stream.messages[1].id;
  view.unmount();
  return {
    typing,
    messages: texts(stream.messages),
    branches: again.branchOptions.length,
    branch: again.branch === again.branchOptions[1],
    switched: switched === answer.id,
  };
}

// agent-chat-ui's interrupt flow: the hook exposes the interrupt, and a
// submit with command {resume} (its inbox sends `{}` as input) resumes it.
async function interrupts() {
  let props;
  const view = await mount(
    (props = {
      apiUrl: args.url,
      assistantId: "agent",
      threadId: null,
      fetchStateHistory: true,
      onThreadId: (id) => view.update((props = { ...props, threadId: id })),
    }),
  );
  await view.current.submit({ messages: [human("hi")], need_review: true }, chatOptions);
  let stream = await view.until((s) => !s.isLoading && s.interrupt !== undefined);
  const asked = stream.interrupt;
  await stream.submit({}, { command: { resume: "approved" } });
  stream = await view.until((s) => !s.isLoading && s.values.log?.length === 2);
  const resumed = { interrupt: stream.interrupt ?? null, log: stream.values.log };

  // A reload while interrupted shows the interrupt from the thread's state.
  await stream.submit({ messages: [human("again")], need_review: true }, chatOptions);
  await view.until((s) => !s.isLoading && s.interrupt !== undefined);
  view.unmount();
  const reloaded = await mount({ ...props, onThreadId: undefined });
  stream = await reloaded.until((s) => !s.isLoading && s.interrupt !== undefined);
  const shown = stream.interrupt.value;
  reloaded.unmount();
  return {
    asked: [asked.value, typeof asked.id],
    resumed,
    reloaded: shown,
  };
}

// `reconnectOnMount`: a page left mid-run rejoins the run when it is opened
// again (the run id is kept in storage); `stop()` there cancels the run.
async function reconnect() {
  // The hook keeps run ids only where `window` exists (a browser).
  globalThis.window ??= {};
  const kept = new Map();
  const storage = {
    getItem: (key) => kept.get(key) ?? null,
    setItem: (key, value) => kept.set(key, value),
    removeItem: (key) => kept.delete(key),
  };
  let created;
  let props;
  const open = (threadId) =>
    mount(
      (props = {
        apiUrl: args.url,
        assistantId: "agent",
        threadId,
        fetchStateHistory: true,
        reconnectOnMount: () => storage,
        onCreated: (run) => created(run),
        onThreadId: (id) => view.update((props = { ...props, threadId: id })),
      }),
    );
  const started = () => new Promise((resolve) => (created = resolve));

  let view = await open(null);
  let running = started();
  view.current.submit({ messages: [human("hi")], gate: args.gates[0] });
  const first = await running;
  await pause("entered", { gate: args.gates[0] });
  const stored = [...kept.values()];
  view.unmount();
  view = await open(first.thread_id);
  // Still held at its gate: only a rejoined run makes the hook load.
  await view.until((s) => s.isLoading);
  await pause("release", { gate: args.gates[0] });
  let stream = await view.until((s) => !s.isLoading && s.messages.length === 3);
  const rejoined = { messages: texts(stream.messages), kept: [...kept.keys()] };

  running = started();
  view.current.submit({ messages: [human("stop")], gate: args.gates[1] });
  const second = await running;
  await pause("entered", { gate: args.gates[1] });
  await view.current.stop();
  const api = await client();
  await api.runs.join(second.thread_id, second.run_id);
  const run = await api.runs.get(second.thread_id, second.run_id);
  stream = await view.until((s) => !s.isLoading);
  view.unmount();
  return {
    stored: stored.map((id) => id === first.run_id),
    rejoined,
    stopped: [run.status, [...kept.keys()]],
  };
}

// A submit with no options from a component that reads nothing off the hook
// (the hook then asks for no stream mode: the server's default, values,
// applies) of a run that fails: the hook shows the
// values streamed before the failure and the error agent-chat-ui toasts.
async function failure() {
  let props;
  const view = await mount(
    (props = {
      apiUrl: args.url,
      assistantId: "agent",
      threadId: null,
      onThreadId: (id) => view.update((props = { ...props, threadId: id })),
    }),
    { reads: [] },
  );
  // The hook logs the error it keeps; this test reads it from the hook.
  console.error = () => {};
  await view.current.submit({ messages: [human("hi")], fail: true });
  const stream = await view.until((s) => !s.isLoading);
  view.unmount();
  return {
    error: [stream.error?.name, stream.error?.message],
    values: [stream.values.fail, texts(stream.values.messages)],
  };
}

const scenarios = { chat, branches, interrupts, reconnect, failure };
finish(await scenarios[args.scenario]());
