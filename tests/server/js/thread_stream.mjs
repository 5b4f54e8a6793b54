// The v3 protocol through the JS SDK's `client.threads.stream`: a chat
// model's tokens on `thread.messages` and the final state on `thread.output`,
// over the SSE transport and over the WebSocket one. The model holds after
// its first token until the test opens its gate, so the stream's
// subscriptions are all made while the run is going.
import { args, client, finish, pause } from "./lib.mjs";

const api = await client();

async function talk(transport, gate) {
  const thread = api.threads.stream({ assistantId: "typist", transport });
  await thread.run.start({
    input: { messages: [{ type: "human", content: "hi" }], gate },
  });
  const texts = [];
  for await (const message of thread.messages) {
    if (texts.length === 0) await pause("release", { gate });
    texts.push(await message.text);
  }
  const output = await thread.output;
  await thread.close();
  return { texts, last: output.messages.at(-1).content };
}

finish({
  sse: await talk("sse", args.gates[0]),
  websocket: await talk("websocket", args.gates[1]),
});
