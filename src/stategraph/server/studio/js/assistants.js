// Assistant picker and the config/context editor (new versions or new assistants).
import { $, fill, h, parseJson, shortId } from "./dom.js";
import { pretty } from "./jsonview.js";

/** Fill the header's assistant <select> and switch assistants on change. */
export function assistantPicker(store, select) {
  select.addEventListener("change", () => store.guard(() => store.selectAssistant(select.value)));
  store.on("assistants", (list) => {
    fill(select, list.map((a) => h("option", { value: a.assistant_id },
      `${a.name || a.graph_id} (${a.graph_id}${a.metadata?.created_by === "system" ? "" : ` · ${shortId(a.assistant_id)}`})`)));
  });
  store.on("assistant", (a) => { select.value = a.assistant_id; });
}

export class AssistantPanel {
  constructor(store, root) {
    this.store = store;
    this.root = root;
    store.on("assistant", (assistant) => this.draw(assistant));
  }

  draw(a) {
    const save = (create) => this.store.guard(async () => {
      const config = parseJson($("#assistant-config", this.root).value);
      const context = parseJson($("#assistant-context", this.root).value);
      const problem = config.error || context.error;
      $("#assistant-error", this.root).textContent = problem || "";
      $("#assistant-error", this.root).hidden = !problem;
      if (problem) return;
      const body = { config: config.value ?? {}, context: context.value ?? {} };
      const name = $("#assistant-name", this.root).value.trim();
      if (name) body.name = name;
      const saved = create
        ? await this.store.api.createAssistant({ graph_id: a.graph_id, ...body })
        : await this.store.api.updateAssistant(a.assistant_id, body);
      // Reload first: the status tells that the editor shows the saved record.
      await this.store.loadAssistants(saved.assistant_id);
      this.store.status(`${create ? "Created assistant" : "Saved version"} ${saved.version ?? ""} of ${saved.name || saved.assistant_id}`);
    });
    // config_schema is {} (not null) for a graph without a context schema.
    const filled = (schema) => (schema && Object.keys(schema).length ? schema : null);
    const configSchema = filled(this.store.schemas?.config_schema) || this.store.schemas?.context_schema;
    fill(this.root,
      h("dl", { class: "facts" },
        h("dt", {}, "id"), h("dd", { class: "mono" }, a.assistant_id),
        h("dt", {}, "graph"), h("dd", {}, a.graph_id),
        h("dt", {}, "version"), h("dd", { id: "assistant-version" }, a.version ?? "—")),
      h("label", {}, "Name"),
      h("input", { id: "assistant-name", value: a.name || "" }),
      h("label", {}, "Config (JSON)"),
      h("textarea", { id: "assistant-config", class: "code", rows: 5, spellcheck: "false" }, pretty(a.config || {})),
      h("label", {}, "Context (JSON)"),
      h("textarea", { id: "assistant-context", class: "code", rows: 4, spellcheck: "false" }, pretty(a.context || {})),
      configSchema ? h("details", {}, h("summary", {}, "Schema"), h("pre", { class: "code" }, pretty(configSchema))) : null,
      h("div", { id: "assistant-error", class: "error", hidden: true }),
      h("div", { class: "row" },
        h("button", { id: "assistant-save", class: "primary", onclick: () => save(false) }, "Save new version"),
        h("button", { id: "assistant-create", onclick: () => save(true) }, "Create assistant")));
  }
}
