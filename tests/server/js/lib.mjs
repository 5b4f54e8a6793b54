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
