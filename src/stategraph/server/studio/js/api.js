// The LangGraph Server HTTP API, as the Studio uses it (same origin by default).
import { readEvents } from "./sse.js";

export class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

export class Api {
  /** @param {string} base The server URL; "" means the origin serving the Studio. */
  constructor(base = "", headers = {}) {
    this.base = base.replace(/\/$/, "");
    this.headers = headers; // extra headers for every request, e.g. Authorization
  }

  async request(method, path, body) {
    const init = { method, headers: { ...this.headers } };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(this.base + path, init);
    if (!response.ok) throw await this.error(response);
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  async error(response) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? body);
    } catch {
      // Not JSON: keep the status text.
    }
    return new ApiError(response.status, detail);
  }

  get = (path) => this.request("GET", path);
  post = (path, body = {}) => this.request("POST", path, body);
  patch = (path, body = {}) => this.request("PATCH", path, body);
  del = (path) => this.request("DELETE", path);

  info = () => this.get("/info");
  assistants = () => this.post("/assistants/search", { limit: 100, offset: 0 });
  assistant = (id) => this.get(`/assistants/${id}`);
  createAssistant = (body) => this.post("/assistants", body);
  updateAssistant = (id, body) => this.patch(`/assistants/${id}`, body);
  versions = (id) => this.post(`/assistants/${id}/versions`, { limit: 20 });
  graph = (id, xray) => this.get(`/assistants/${id}/graph${xray ? "?xray=true" : ""}`);
  schemas = (id) => this.get(`/assistants/${id}/schemas`);

  threads = (body) => this.post("/threads/search", body);
  createThread = (metadata) => this.post("/threads", { metadata });
  deleteThread = (id) => this.del(`/threads/${id}`);
  state = (id) => this.get(`/threads/${id}/state`);
  history = (id, limit = 50) => this.post(`/threads/${id}/history`, { limit });
  updateState = (id, body) => this.post(`/threads/${id}/state`, body);
  cancel = (threadId, runId) =>
    this.post(`/threads/${threadId}/runs/${runId}/cancel?wait=true&action=interrupt`);

  /** POST a streaming run; yields parsed SSE events until the run ends or signal aborts. */
  async *streamRun(threadId, body, signal) {
    const response = await fetch(`${this.base}/threads/${threadId}/runs/stream`, {
      method: "POST",
      headers: { ...this.headers, "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify(body),
      signal,
    });
    if (!response.ok) throw await this.error(response);
    yield* readEvents(response);
  }
}
