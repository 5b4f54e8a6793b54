// Draws a laid-out graph as SVG and marks nodes as running, done or interrupted.
import { END, START, layout } from "./layout.js";

const SVG = "http://www.w3.org/2000/svg";
const STATES = ["running", "done", "interrupted", "error", "next"];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  el.append(...children);
  return el;
}

const path = ([p0, p1, p2, p3]) =>
  `M${p0[0]},${p0[1]} C${p1[0]},${p1[1]} ${p2[0]},${p2[1]} ${p3[0]},${p3[1]}`;

export class GraphView {
  /** @param {HTMLElement} host The element the SVG is drawn into. */
  constructor(host) {
    this.host = host;
    this.nodes = new Map();
  }

  /** Draw the graph JSON of GET /assistants/{id}/graph. */
  render(graph) {
    const laid = layout(graph);
    const svg = s("svg", {
      viewBox: `0 0 ${laid.width} ${laid.height}`,
      class: "graph",
      // Scale down to fit the panel, never up past the natural size.
      style: `max-width: min(100%, ${laid.width}px); max-height: min(100%, ${laid.height}px)`,
      role: "img",
      "aria-label": "graph",
    });
    svg.append(
      s("defs", {}, s("marker", {
        id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
        markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse",
      }, s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))),
    );
    for (const edge of laid.edges) {
      const cls = ["edge", edge.conditional ? "conditional" : "", edge.back ? "back" : ""];
      const line = s("path", { d: path(edge.points), class: cls.join(" ").trim(), "marker-end": "url(#arrow)" });
      line.dataset.source = edge.source;
      line.dataset.target = edge.target;
      svg.append(line);
      if (edge.label) {
        const [, p1, p2] = edge.points;
        svg.append(s("text", { x: (p1[0] + p2[0]) / 2 + 4, y: (p1[1] + p2[1]) / 2, class: "edge-label" }, edge.label));
      }
    }
    this.nodes.clear();
    for (const node of laid.nodes) {
      const special = node.id === START || node.id === END;
      const group = s("g", { class: `node${special ? " special" : ""}`, transform: `translate(${node.x},${node.y})` });
      group.dataset.node = node.id;
      group.append(
        s("rect", { width: node.width, height: node.height, rx: special ? 18 : 6 }),
        s("text", { x: node.width / 2, y: node.height / 2 + 4.5, "text-anchor": "middle" }, node.label),
        s("title", {}, node.id),
      );
      svg.append(group);
      this.nodes.set(node.id, group);
    }
    this.host.replaceChildren(svg);
    return laid;
  }

  /** The drawn node for a task: "parent:child" in xray graphs, else the name. */
  find(name, namespace = []) {
    const parents = namespace.map((part) => part.split(":")[0]);
    const candidates = [[...parents, name].join(":"), name];
    for (const id of candidates) if (this.nodes.has(id)) return this.nodes.get(id);
    return null;
  }

  /** Mark a node: state is one of STATES or null. */
  mark(name, state, namespace = []) {
    const group = this.find(name, namespace);
    if (!group) return;
    group.classList.remove(...STATES);
    if (state) group.classList.add(state);
  }

  /** Mark the nodes that interrupt_before / interrupt_after will stop at. */
  breakpoints(before, after) {
    for (const [id, group] of this.nodes) {
      group.classList.toggle("bp-before", before.includes(id));
      group.classList.toggle("bp-after", after.includes(id));
    }
  }

  clear() {
    for (const group of this.nodes.values()) group.classList.remove(...STATES);
  }
}
