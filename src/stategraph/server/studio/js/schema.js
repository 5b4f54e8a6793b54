// Input skeletons and light validation from the graph's JSON schema.

function resolve(schema, root) {
  const ref = schema?.$ref;
  if (!ref || !ref.startsWith("#/")) return schema || {};
  return ref.slice(2).split("/").reduce((node, key) => node?.[key], root) || {};
}

function typeOf(schema, root) {
  const resolved = resolve(schema, root);
  if (resolved.type) return Array.isArray(resolved.type) ? resolved.type : [resolved.type];
  const options = resolved.anyOf || resolved.oneOf;
  if (options) return options.flatMap((option) => typeOf(option, root));
  return [];
}

const EMPTY = { string: "", integer: 0, number: 0, boolean: false, array: [], object: {}, null: null };

/** A starting input for a graph: every top-level property with a default or empty value. */
export function skeleton(schema) {
  const properties = schema?.properties;
  if (!properties) return {};
  const out = {};
  for (const [name, prop] of Object.entries(properties)) {
    const resolved = resolve(prop, schema);
    if ("default" in resolved) {
      out[name] = resolved.default;
      continue;
    }
    const types = typeOf(prop, schema).filter((t) => t !== "null");
    out[name] = types.length ? EMPTY[types[0]] ?? null : null;
  }
  return out;
}

function matches(value, type) {
  switch (type) {
    case "integer": return Number.isInteger(value);
    case "number": return typeof value === "number";
    case "string": case "boolean": return typeof value === type;
    case "array": return Array.isArray(value);
    case "object": return value !== null && typeof value === "object" && !Array.isArray(value);
    case "null": return value === null;
    default: return true;
  }
}

/** Problems with an input against the schema's top level; [] when it looks right. */
export function validate(value, schema) {
  if (value === null) return [];
  if (!matches(value, "object")) return ["The input must be a JSON object (or empty for none)."];
  const problems = [];
  const properties = schema?.properties || {};
  for (const [name, item] of Object.entries(value)) {
    const prop = properties[name];
    if (!prop) {
      if (schema?.properties && schema.additionalProperties === false) problems.push(`Unknown key "${name}".`);
      continue;
    }
    const types = typeOf(prop, schema);
    if (types.length && !types.some((t) => matches(item, t))) {
      problems.push(`"${name}" must be ${types.join(" or ")}, got ${JSON.stringify(item)}.`);
    }
  }
  return problems;
}
