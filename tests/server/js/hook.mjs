// The `useStream` React hook driven as agent-chat-ui drives it: submit with
// optimistic values, history, branches (regenerate from a checkpoint),
// interrupts resumed by command, tokens streamed, and rejoining a run.
import { args, client, finish, mount, pause } from "./lib.mjs";

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
  let stream = await view.until((s) => s.messages.at(-1)?.type === "ai");
  const typing = [stream.isLoading, texts(stream.messages)];
  await pause("release", { gate: args.gates[0] });
  await submitted;
  stream = await view.until((s) => !s.isLoading && s.history?.length === 3);
  const answer = stream.messages[1];
  const meta = stream.getMessagesMetadata(answer);
  await stream.submit(undefined, { ...chatOptions, checkpoint: meta.firstSeenState.parent_checkpoint });
  stream = await view.until((s) => !s.isLoading && s.messages[1]?.id !== answer.id);
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

const scenarios = { chat, branches };
finish(await scenarios[args.scenario]());
