/**
 * Text renderings of a workflow graph: Mermaid `flowchart TD` and Graphviz
 * DOT. Node ids are already safe (letters, digits, `_`, never a keyword); labels are
 * escaped. Compensation edges are dotted / dashed; nodes with a state are colored by
 * status. Pure.
 * @module
 */
import type { GraphJson, GraphNode, GraphNodeKind } from "./graph-types.js";

/** Fill and stroke colors of each status (others: grey). */
const COLORS: Record<string, { fill: string; stroke: string }> = {
  completed: { fill: "#d4edda", stroke: "#28a745" },
  failed: { fill: "#f8d7da", stroke: "#dc3545" },
  running: { fill: "#cce5ff", stroke: "#0d6efd" },
  waiting: { fill: "#fff3cd", stroke: "#e0a800" },
  pending: { fill: "#fff3cd", stroke: "#e0a800" },
  cancelled: { fill: "#e2e3e5", stroke: "#6c757d" },
  skipped: { fill: "#f8f9fa", stroke: "#adb5bd" },
};
const OTHER = { fill: "#eeeeee", stroke: "#999999" };

const colorsOf = (status: string) => COLORS[status] ?? OTHER;

/** Class name of a status: `st_` and the status, reduced to letters, digits and `_`. */
export const statusClass = (status: string): string =>
  `st_${status.replace(/[^A-Za-z0-9_]/g, "_")}`;

/** Ids of the compensation nodes: edges into them are drawn dashed. */
const compensationIds = (g: GraphJson): Set<string> =>
  new Set(g.nodes.filter((n) => n.kind === "compensation").map((n) => n.id));

/** `text` with control characters (and line/paragraph separators when `lines`) as spaces, runs merged. */
function blankControls(text: string, lines: boolean): string {
  let out = "";
  let blank = false;
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    const control = code < 0x20 || code === 0x7f || (lines && (code === 0x2028 || code === 0x2029));
    if (control && !blank) out += " ";
    if (!control) out += ch;
    blank = control;
  }
  return out;
}

// ---------------------------------------------------------------- Mermaid

/** Mermaid entity escapes for characters that could end or alter a quoted label. */
const MERMAID_ESCAPES: Record<string, string> = {
  "#": "#35;",
  '"': "#quot;",
  "<": "#lt;",
  ">": "#gt;",
  "&": "#amp;",
  "`": "#96;",
  ":": "#58;",
  "|": "#124;",
};

/** A label as a Mermaid `"..."` string. */
export function mermaidText(text: string): string {
  const escaped = blankControls(text, true).replace(/[#"<>&`:|]/g, (c) => MERMAID_ESCAPES[c] ?? c);
  return `"${escaped}"`;
}

const MERMAID_SHAPES: Record<GraphNodeKind, [string, string]> = {
  start: ["([", "])"],
  end: ["([", "])"],
  step: ["[", "]"],
  decision: ["{", "}"],
  branch: ["{{", "}}"],
  parallel: ["[[", "]]"],
  forEach: ["[/", "/]"],
  loop: ["[/", "\\]"],
  compensation: ["(", ")"],
};

/** The graph as Mermaid `flowchart TD` text. */
export function toMermaid(g: GraphJson): string {
  const dashed = compensationIds(g);
  const lines = ["flowchart TD"];
  for (const n of g.nodes) {
    const [open, close] = MERMAID_SHAPES[n.kind] ?? ["[", "]"];
    lines.push(`  ${n.id}${open}${mermaidText(n.label)}${close}`);
  }
  for (const e of g.edges) {
    const arrow = dashed.has(e.to) ? "-.->" : "-->";
    const label = e.label === undefined ? "" : `|${mermaidText(e.label)}|`;
    lines.push(`  ${e.from} ${arrow}${label} ${e.to}`);
  }
  const byClass = new Map<string, { status: string; ids: string[] }>();
  for (const n of g.nodes) {
    if (!n.state) continue;
    const cls = statusClass(n.state.status);
    const entry = byClass.get(cls) ?? { status: n.state.status, ids: [] };
    entry.ids.push(n.id);
    byClass.set(cls, entry);
  }
  for (const [cls, { status, ids }] of byClass) {
    const { fill, stroke } = colorsOf(status);
    const dash = status === "skipped" ? ",stroke-dasharray:4 4" : "";
    lines.push(`  classDef ${cls} fill:${fill},stroke:${stroke},color:#000${dash}`);
    lines.push(`  class ${ids.join(",")} ${cls}`);
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------- DOT

/** A label as a DOT `"..."` string. */
export function dotText(text: string): string {
  const escaped = text
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\r\n|\r|\n/g, "\\n");
  return `"${blankControls(escaped, false)}"`;
}

const DOT_SHAPES: Record<GraphNodeKind, { shape: string; style?: string }> = {
  start: { shape: "circle" },
  end: { shape: "doublecircle" },
  step: { shape: "box", style: "rounded" },
  decision: { shape: "diamond" },
  branch: { shape: "hexagon" },
  parallel: { shape: "box3d" },
  forEach: { shape: "parallelogram" },
  loop: { shape: "trapezium" },
  compensation: { shape: "box", style: "rounded,dashed" },
};

const stateText = (n: GraphNode): string => {
  const s = n.state!;
  const parts = [s.status, `${s.attempts} attempt${s.attempts === 1 ? "" : "s"}`];
  if (s.durationMs !== null) parts.push(`${s.durationMs} ms`);
  if (s.case !== undefined) parts.push(s.case === null ? "no case matched" : `case ${s.case}`);
  return parts.join(", ");
};

/** The graph as Graphviz DOT text (`digraph`), titled `name`. */
export function toDot(g: GraphJson, name: string): string {
  const dashed = compensationIds(g);
  const lines = [
    `digraph ${dotText(name)} {`,
    "  rankdir=TB;",
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const n of g.nodes) {
    const { shape, style } = DOT_SHAPES[n.kind] ?? { shape: "box" };
    const attrs = [`label=${dotText(n.label)}`, `shape=${shape}`];
    const styles = style ? [style] : [];
    if (n.state) {
      const { fill, stroke } = colorsOf(n.state.status);
      styles.push("filled");
      attrs.push(`fillcolor="${fill}"`, `color="${stroke}"`, `tooltip=${dotText(stateText(n))}`);
    }
    if (styles.length > 0) attrs.push(`style="${styles.join(",")}"`);
    lines.push(`  ${n.id} [${attrs.join(", ")}];`);
  }
  for (const e of g.edges) {
    const attrs: string[] = [];
    if (e.label !== undefined) attrs.push(`label=${dotText(e.label)}`);
    if (dashed.has(e.to)) attrs.push("style=dashed");
    lines.push(`  ${e.from} -> ${e.to}${attrs.length ? ` [${attrs.join(", ")}]` : ""};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
