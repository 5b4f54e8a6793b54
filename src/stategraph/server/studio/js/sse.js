// A Server-Sent Events parser for fetch() bodies (EventSource cannot POST).

/**
 * Incremental SSE parser: feed() text chunks, get back complete events.
 * Handles CRLF/LF/CR line ends, multi-line data, comments and ids, following
 * the WHATWG event-stream rules.
 */
export class SSEParser {
  constructor() {
    this.buffer = "";
    this.reset();
  }

  reset() {
    this.event = "";
    this.data = [];
    this.id = null;
  }

  /** Parse a chunk; returns the events it completed: [{event, data, id}]. */
  feed(chunk) {
    this.buffer += chunk;
    const events = [];
    // A trailing CR may be half of a CRLF still in flight: keep it buffered.
    const lines = this.buffer.split(/\r\n|\n|\r(?!$)/);
    this.buffer = lines.pop();
    for (const line of lines) {
      const done = this.line(line);
      if (done) events.push(done);
    }
    return events;
  }

  line(line) {
    if (line === "") {
      if (!this.data.length && !this.event) return null;
      const done = { event: this.event || "message", data: this.data.join("\n"), id: this.id };
      this.reset();
      return done;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id") this.id = value;
    return null;
  }
}

/** Decode JSON data where possible; SSE data that is not JSON stays a string. */
export function decodeData(data) {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

/** Async-iterate the events of a fetch Response's ReadableStream body. */
export async function* readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SSEParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const event of parser.feed(value)) yield { ...event, data: decodeData(event.data) };
    }
    for (const event of parser.feed("\n\n")) yield { ...event, data: decodeData(event.data) };
  } finally {
    reader.releaseLock();
  }
}
