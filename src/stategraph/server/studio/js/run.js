// The run panel: input editor, breakpoints, run/cancel, and the resume form.
import { $, fill, h, parseJson } from "./dom.js";
import { jsonView, pretty } from "./jsonview.js";
import { skeleton, validate } from "./schema.js";
import { pendingInterrupts } from "./store.js";
import { END, START } from "./layout.js";

export class RunPanel {
  constructor(store, root, stream) {
    this.store = store;
    this.stream = stream;
    this.root = root;
    fill(root,
      h("div", { class: "panel-head" }, h("h2", {}, "Input"),
        h("button", { class: "small", title: "Every key of the input schema", onclick: () => this.resetInput() }, "Reset")),
      h("div", { class: "muted" }, "Every key left in is written to the state: delete the ones to keep as they are."),
      h("textarea", {
        id: "run-input", class: "code", rows: 4, spellcheck: "false", title: "Ctrl+Enter runs",
        oninput: () => this.check(),
        onkeydown: (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !store.running) this.submit(); },
      }),
      h("div", { id: "input-error", class: "error", hidden: true }),
      h("details", { id: "breakpoints" }, h("summary", {}, "Breakpoints (interrupt before / after)"),
        h("div", { id: "breakpoint-list", class: "breakpoints" })),
      h("div", { class: "row" },
        h("button", { id: "run", class: "primary", onclick: () => this.submit() }, "▶ Run"),
        h("button", { id: "cancel", disabled: true, onclick: () => stream.cancel() }, "■ Cancel"),
        h("span", { id: "run-thread", class: "muted" })),
      h("div", { id: "messages", class: "messages", hidden: true }),
      h("div", { id: "interrupt-panel", class: "interrupt", hidden: true }));
    store.on("assistant", () => this.resetInput());
    store.on("graph", (graph) => this.drawBreakpoints(graph));
    store.on("running", (on) => {
      $("#run", root).disabled = on;
      $("#cancel", root).disabled = !on;
      $("#resume", root)?.toggleAttribute("disabled", on);
    });
    store.on("state", (snapshot) => this.drawInterrupts(snapshot));
    store.on("thread", (thread) => {
      $("#run-thread", root).textContent = thread ? `on thread …${thread.thread_id.slice(-8)}` : "a new thread is created on run";
    });
  }

  resetInput() {
    const schema = this.store.schemas?.input_schema;
    $("#run-input", this.root).value = pretty(skeleton(schema));
    this.check();
  }

  /** Parse and validate the input; shows the problem and returns undefined when invalid. */
  check() {
    const parsed = parseJson($("#run-input", this.root).value);
    const problems = parsed.error ? [parsed.error] : validate(parsed.value, this.store.schemas?.input_schema);
    const box = $("#input-error", this.root);
    box.textContent = problems.join(" ");
    box.hidden = !problems.length;
    return problems.length ? undefined : parsed;
  }

  drawBreakpoints(graph) {
    const nodes = (graph?.nodes || []).map((n) => String(n.id)).filter((id) => id !== START && id !== END);
    const row = (id) => h("div", { class: "bp-row" },
      h("label", { class: "check" }, h("input", { type: "checkbox", class: "bp-before", value: id, onchange: () => this.markBreakpoints() }), "before"),
      h("label", { class: "check" }, h("input", { type: "checkbox", class: "bp-after", value: id, onchange: () => this.markBreakpoints() }), "after"),
      h("span", { class: "mono" }, id));
    fill($("#breakpoint-list", this.root), nodes.map(row));
  }

  breakpoints() {
    const checked = (cls) => [...this.root.querySelectorAll(`input.${cls}:checked`)].map((el) => el.value);
    return { before: checked("bp-before"), after: checked("bp-after") };
  }

  markBreakpoints() {
    const { before, after } = this.breakpoints();
    this.store.emit("breakpoints", { before, after });
  }

  async submit() {
    const parsed = this.check();
    if (!parsed) return;
    await this.start({ input: parsed.value });
  }

  /** Start a run with the breakpoints set; extra holds input, command or checkpoint. */
  async start(extra) {
    const { before, after } = this.breakpoints();
    const body = { ...extra };
    if (before.length) body.interrupt_before = before;
    if (after.length) body.interrupt_after = after;
    await this.stream.run(body);
  }

  drawInterrupts(snapshot) {
    const panel = $("#interrupt-panel", this.root);
    const interrupts = pendingInterrupts(snapshot);
    const paused = !interrupts.length && (snapshot?.next || []).length > 0;
    panel.hidden = !interrupts.length && !paused;
    if (panel.hidden) return panel.replaceChildren();
    if (paused) {
      return fill(panel, h("h3", {}, `Paused before ${snapshot.next.join(", ")}`),
        h("button", { id: "continue", class: "primary", onclick: () => this.start({ input: null }) }, "Continue"));
    }
    const multiple = interrupts.length > 1 && interrupts.every((i) => i.id);
    const initial = multiple ? Object.fromEntries(interrupts.map((i) => [i.id, ""])) : "";
    const resume = async () => {
      const parsed = parseJson($("#resume-value", panel).value, { allowEmpty: false });
      $("#resume-error", panel).textContent = parsed.error || "";
      $("#resume-error", panel).hidden = !parsed.error;
      if (!parsed.error) await this.start({ command: { resume: parsed.value } });
    };
    fill(panel,
      h("h3", {}, `Interrupted: ${interrupts.length} pending`),
      h("div", { id: "interrupt-values" }, interrupts.map((i) => jsonView(i.value, { open: 3 }))),
      h("label", {}, multiple ? "Resume values by interrupt id (JSON)" : "Resume value (JSON)"),
      h("textarea", { id: "resume-value", class: "code", rows: 3, spellcheck: "false" }, pretty(initial)),
      h("div", { id: "resume-error", class: "error", hidden: true }),
      h("button", { id: "resume", class: "primary", onclick: resume }, "Resume"));
    panel.scrollIntoView({ block: "nearest" });
  }
}
