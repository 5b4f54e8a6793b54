// Helpers shared by the scripts test_js_sdk.py runs with node.
//
// A script gets one JSON argument (`url` of the server, `sdk` the package to
// import, and its own fields) and prints JSON lines: `{"pause": label, ...}`
// waits for the test to act and answer a line on stdin; `{"result": ...}` is
// the last line, which the test asserts on.
import readline from "node:readline";

export const args = JSON.parse(process.argv[2]);

/** The SDK under test (`@langchain/langgraph-sdk` or its 1.8 alias). */
export async function sdk(entry = "") {
  return import(args.sdk + entry);
}

export async function client(options = {}) {
  const { Client } = await sdk();
  return new Client({ apiUrl: args.url, ...options });
}

let lines;

/** Tell the test `label` is reached; resolve once it answers. */
export async function pause(label, detail = {}) {
  console.log(JSON.stringify({ pause: label, ...detail }));
  lines ??= readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const { value, done } = await lines.next();
  if (done) throw new Error(`stdin closed while paused at ${label}`);
  return value;
}

/** A progress line on stderr: the test shows it when the script fails. */
export function note(...what) {
  process.stderr.write(`${JSON.stringify(what)}\n`);
}

export function finish(result) {
  console.log(JSON.stringify({ result }));
}

/** The HTTP status of a failed SDK call, or "ok" when it did not fail. */
export async function status(promise) {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error?.status === undefined) throw error;
    return error.status;
  }
}

export async function collect(stream) {
  const parts = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

/**
 * Render the SDK's React `useStream` hook headlessly (react-test-renderer),
 * as agent-chat-ui's StreamProvider does. `view.current` is the hook's latest
 * value; `view.until(predicate)` resolves at the first render where it holds.
 * Each render reads `reads` off the hook, as agent-chat-ui's thread view
 * reads `messages` and `values`: the hook asks the server for the stream
 * modes that what is read needs ("messages-tuple" for `messages`).
 */
export async function mount(props, { reads = ["messages", "values"] } = {}) {
  const { createElement } = await import("react");
  const { default: TestRenderer } = await import("react-test-renderer");
  const { useStream } = await sdk("/react");
  // Renders are scheduled as in a browser, not batched into act() scopes.
  globalThis.IS_REACT_ACT_ENVIRONMENT = false;
  const view = { renders: 0 };
  const waiters = new Set();
  function Probe(probeProps) {
    view.current = useStream(probeProps);
    for (const name of reads) void view.current[name];
    view.renders += 1;
    view.onRender?.(view.current);
    for (const waiter of waiters) waiter();
    return null;
  }
  view.until = (predicate) =>
    new Promise((resolve) => {
      const check = () => {
        if (view.current === undefined || !predicate(view.current)) return;
        waiters.delete(check);
        resolve(view.current);
      };
      waiters.add(check);
      check();
    });
  const renderer = TestRenderer.create(createElement(Probe, props));
  view.update = (next) => renderer.update(createElement(Probe, next));
  view.unmount = () => renderer.unmount();
  await view.until(() => true);
  return view;
}
