// A small layered (Sugiyama-style) layout for graphs of a few dozen nodes:
// break cycles, assign layers by longest path, order layers by barycentres,
// then place nodes top to bottom.

export const START = "__start__";
export const END = "__end__";
const NODE_HEIGHT = 36;
const LAYER_GAP = 50;
const NODE_GAP = 36;
const MARGIN = 24;

/** Node box width for a label (monospace-ish estimate, no DOM needed). */
export const nodeWidth = (label) => Math.max(90, Math.round(label.length * 7.6) + 32);

/** Edges that close a cycle, found by depth-first search from the roots. */
function backEdges(ids, edges) {
  const out = new Map(ids.map((id) => [id, []]));
  edges.forEach((edge, i) => out.get(edge.source)?.push([edge.target, i]));
  const state = new Map(); // 1 = on the stack, 2 = finished
  const back = new Set();
  const visit = (id) => {
    state.set(id, 1);
    for (const [next, i] of out.get(id) || []) {
      if (state.get(next) === 1) back.add(i);
      else if (!state.has(next)) visit(next);
    }
    state.set(id, 2);
  };
  const hasIncoming = new Set(edges.map((e) => e.target));
  const roots = [START, ...ids.filter((id) => !hasIncoming.has(id)), ...ids];
  for (const id of roots) if (out.has(id) && !state.has(id)) visit(id);
  return back;
}

/** Longest-path layer of every node over the forward edges; __end__ goes last. */
function assignLayers(ids, forward) {
  const layer = new Map(ids.map((id) => [id, 0]));
  // Relax repeatedly: the graph is acyclic over forward edges, so |V| rounds suffice.
  for (let round = 0; round < ids.length; round++) {
    let changed = false;
    for (const { source, target } of forward) {
      if (layer.get(target) < layer.get(source) + 1) {
        layer.set(target, layer.get(source) + 1);
        changed = true;
      }
    }
    if (!changed) break;
  }
  if (layer.has(END)) {
    const others = ids.filter((id) => id !== END).map((id) => layer.get(id));
    layer.set(END, Math.max(0, ...others) + 1);
  }
  return layer;
}

/** Reorder each layer by the mean position of its neighbours (two sweeps). */
function orderLayers(layers, forward) {
  const position = new Map();
  const index = () => layers.forEach((row) => row.forEach((id, i) => position.set(id, i)));
  index();
  const sweep = (rows, neighbours) => {
    for (const row of rows) {
      const centre = (id) => {
        const around = neighbours(id).filter((n) => position.has(n));
        if (!around.length) return position.get(id);
        return around.reduce((sum, n) => sum + position.get(n), 0) / around.length;
      };
      row.sort((a, b) => centre(a) - centre(b));
      row.forEach((id, i) => position.set(id, i));
    }
  };
  const parents = (id) => forward.filter((e) => e.target === id).map((e) => e.source);
  const children = (id) => forward.filter((e) => e.source === id).map((e) => e.target);
  for (let i = 0; i < 2; i++) {
    sweep(layers.slice(1), parents);
    sweep(layers.slice(0, -1).reverse(), children);
  }
}

/**
 * Lay out a graph from GET /assistants/{id}/graph.
 * @returns {{nodes: object[], edges: object[], width: number, height: number}}
 */
export function layout(graph) {
  const ids = (graph.nodes || []).map((node) => String(node.id));
  const known = new Set(ids);
  const edges = (graph.edges || []).filter((e) => known.has(e.source) && known.has(e.target));
  const back = backEdges(ids, edges);
  const forward = edges.filter((e, i) => !back.has(i) && e.source !== e.target);
  const layerOf = assignLayers(ids, forward);
  const depth = Math.max(0, ...layerOf.values()) + 1;
  const layers = Array.from({ length: depth }, () => []);
  ids.forEach((id) => layers[layerOf.get(id)].push(id));
  orderLayers(layers, forward);

  const rowWidth = (row) => row.reduce((w, id) => w + nodeWidth(id), 0) + NODE_GAP * (row.length - 1);
  const width = Math.max(...layers.map(rowWidth), 120) + 2 * MARGIN + 80;
  const boxes = new Map();
  layers.forEach((row, depthIndex) => {
    let x = (width - rowWidth(row)) / 2;
    const y = MARGIN + depthIndex * (NODE_HEIGHT + LAYER_GAP);
    for (const id of row) {
      const w = nodeWidth(id);
      boxes.set(id, { id, label: id, x, y, width: w, height: NODE_HEIGHT, layer: depthIndex });
      x += w + NODE_GAP;
    }
  });
  const routed = edges.map((edge, i) => ({
    source: edge.source,
    target: edge.target,
    conditional: Boolean(edge.conditional),
    label: typeof edge.data === "string" && edge.data !== edge.target ? edge.data : null,
    back: back.has(i) || edge.source === edge.target,
    points: route(boxes.get(edge.source), boxes.get(edge.target), back.has(i), width),
  }));
  const height = MARGIN * 2 + depth * NODE_HEIGHT + (depth - 1) * LAYER_GAP;
  return { nodes: [...boxes.values()], edges: routed, width, height };
}

/** Control points of an edge: down from source to target, or around the side for cycles. */
function route(from, to, isBack, width) {
  const fx = from.x + from.width / 2;
  const tx = to.x + to.width / 2;
  if (!isBack && from !== to && to.layer > from.layer) {
    const y1 = from.y + from.height;
    const y2 = to.y;
    const bend = (y2 - y1) / 2;
    return [[fx, y1], [fx, y1 + bend], [tx, y2 - bend], [tx, y2]];
  }
  // Cycles leave from the right side and come back into the target's right side.
  const x1 = from.x + from.width;
  const x2 = to.x + to.width;
  const side = Math.min(width - 8, Math.max(x1, x2) + 40);
  const y1 = from.y + from.height / 2;
  const y2 = to.y + to.height / 2;
  return [[x1, y1], [side, y1], [side, y2], [x2, y2]];
}
