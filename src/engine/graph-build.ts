/**
 * Builds the structure of a workflow graph from its definition: one graph
 * node per definition node, the edges between them, and a tree mirroring the
 * definition that the state aggregation (`graph-state.ts`) walks. Pure.
 * @module
 */
import type { Node, StepOptions, WorkflowDefinition } from "../dsl/nodes.js";
import type { GraphEdge, GraphJson, GraphNode, GraphNodeKind } from "./graph-types.js";
import { pathKey } from "./paths.js";

/** Id of the start node (tree node ids start with `n_`, compensations with `c_`). */
export const START_ID = "wf_start";
/** Id of the end node. */
export const END_ID = "wf_end";

/** A graph node together with the definition structure beneath it. */
export interface TreeNode {
  node: GraphNode;
  /** Direct children: every node of every branch case, a loop body, parallel children. */
  children: TreeNode[];
  /** Branches only: the nodes of each case, by case key. */
  cases?: Map<string, TreeNode[]>;
}

/** The graph of a definition, without state. */
export interface BuiltGraph {
  json: GraphJson;
  start: GraphNode;
  end: GraphNode;
  /** The top-level pipeline. */
  top: TreeNode[];
  /** Definition nodes by `pathKey` of their path template (no iteration numbers). */
  byPath: Map<string, TreeNode>;
  /** Compensation nodes by compensation name. */
  compensations: Map<string, TreeNode>;
}

/** A dangling edge: leaves `from`, goes to whatever comes next. */
interface Exit {
  from: string;
  label?: string;
}

const sanitize = (segment: string | number): string =>
  String(segment).replace(/[^A-Za-z0-9_]/g, "_") || "_";

/** Label of a branch case edge: its key, `_` shown as "default". */
export const caseLabel = (key: string): string => (key === "_" ? "default" : key);

/** Case keys in definition order, the default case last. */
export const caseKeys = (cases: Record<string, unknown>): string[] => {
  const keys = Object.keys(cases);
  return [...keys.filter((k) => k !== "_"), ...keys.filter((k) => k === "_")];
};

const nodeLabel = (node: Node): string => {
  if (node.kind === "forEach") return `for each: ${node.name}`;
  if (node.kind === "loop") return `loop: ${node.name}`;
  return node.name;
};

class Builder {
  readonly nodes: GraphNode[] = [];
  readonly edges: GraphEdge[] = [];
  readonly byPath = new Map<string, TreeNode>();
  readonly compensations = new Map<string, TreeNode>();
  private readonly ids = new Set<string>();
  /** Step paths naming a compensation, in tree order. */
  private readonly compensating: { from: string; compensation: string }[] = [];

  /** A collision-free id made of letters, digits and `_`. */
  private id(prefix: string, path: readonly (string | number)[]): string {
    const base = prefix + path.map(sanitize).join("__");
    let id = base;
    for (let n = 2; this.ids.has(id); n++) id = `${base}_${n}`;
    this.ids.add(id);
    return id;
  }

  add(kind: GraphNodeKind, label: string, path: (string | number)[], id?: string): TreeNode {
    const node: GraphNode = {
      id: id ?? this.id(kind === "compensation" ? "c_" : "n_", path),
      kind,
      label,
      path,
    };
    if (id !== undefined) this.ids.add(id);
    this.nodes.push(node);
    return { node, children: [] };
  }

  edge(from: string, to: string, label?: string): void {
    this.edges.push(label === undefined ? { from, to } : { from, to, label });
  }

  connect(exits: readonly Exit[], to: string): void {
    for (const e of exits) this.edge(e.from, to, e.label);
  }

  private leaf(
    kind: GraphNodeKind,
    label: string,
    path: (string | number)[],
    options: StepOptions,
  ) {
    const t = this.add(kind, label, path);
    this.byPath.set(pathKey(path), t);
    if (options.compensate !== undefined)
      this.compensating.push({ from: t.node.id, compensation: options.compensate });
    return t;
  }

  /**
   * Adds a pipeline: `incoming` exits lead into its first node; returns its own exits
   * (`incoming` unchanged for an empty pipeline) and its tree nodes.
   */
  pipeline(
    nodes: readonly Node[],
    parent: readonly (string | number)[],
    incoming: readonly Exit[],
  ): { exits: Exit[]; tree: TreeNode[] } {
    const tree: TreeNode[] = [];
    let exits: Exit[] = [...incoming];
    const gotos: { from: string; targets: readonly string[] }[] = [];
    for (const node of nodes) {
      const path = [...parent, node.name];
      let t: TreeNode;
      if (node.kind === "step" || node.kind === "decision") {
        t = this.leaf(node.kind, node.name, path, node.options);
        this.connect(exits, t.node.id);
        exits = [{ from: t.node.id }];
        if (node.kind === "decision" && node.options.targets?.length)
          gotos.push({ from: t.node.id, targets: node.options.targets });
      } else {
        t = this.add(node.kind, nodeLabel(node), path);
        this.byPath.set(pathKey(path), t);
        this.connect(exits, t.node.id);
        exits = this.container(node, t, path);
      }
      tree.push(t);
    }
    // Goto edges last: their targets are later siblings, added by then.
    for (const g of gotos) {
      for (const target of g.targets) {
        const to = tree.find((t) => t.node.path[t.node.path.length - 1] === target);
        if (to) this.edge(g.from, to.node.id, "goto");
      }
    }
    return { exits, tree };
  }

  /** The inside of a branch, parallel, forEach or loop node `t`; returns its exits. */
  private container(node: Node, t: TreeNode, path: (string | number)[]): Exit[] {
    const id = t.node.id;
    switch (node.kind) {
      case "branch": {
        const exits: Exit[] = [];
        t.cases = new Map();
        for (const key of caseKeys(node.cases)) {
          const sub = this.pipeline(node.cases[key] ?? [], path, [
            { from: id, label: caseLabel(key) },
          ]);
          t.cases.set(key, sub.tree);
          t.children.push(...sub.tree);
          exits.push(...sub.exits);
        }
        if (!("_" in node.cases)) exits.push({ from: id, label: "no match" });
        return exits;
      }
      case "parallel":
        return node.children.map((child) => {
          const c = this.leaf("step", child.name, [...path, child.name], child.options);
          t.children.push(c);
          this.edge(id, c.node.id);
          return { from: c.node.id };
        });
      case "loop": {
        const sub = this.pipeline(node.body, path, [{ from: id }]);
        t.children.push(...sub.tree);
        for (const e of sub.exits)
          this.edge(e.from, id, e.label === undefined ? "repeat" : `${e.label}, repeat`);
        return [{ from: id, label: "done" }];
      }
      default:
        return [{ from: id }];
    }
  }

  /** Compensation nodes, and a "compensates" edge from every step naming one. */
  compensationNodes(def: WorkflowDefinition): void {
    for (const name of def.compensations.keys()) {
      this.compensations.set(name, this.add("compensation", name, [name]));
    }
    for (const c of this.compensating) {
      const comp = this.compensations.get(c.compensation);
      if (comp) this.edge(c.from, comp.node.id, "compensates");
    }
  }
}

/** The graph of a definition: nodes in tree order, then compensations; no state. */
export function buildGraph(def: WorkflowDefinition): BuiltGraph {
  const b = new Builder();
  const start = b.add("start", "start", [], START_ID).node;
  const { exits, tree } = b.pipeline(def.nodes, [], [{ from: START_ID }]);
  const end = b.add("end", "end", [], END_ID).node;
  b.connect(exits, END_ID);
  b.compensationNodes(def);
  return {
    json: { nodes: b.nodes, edges: b.edges },
    start,
    end,
    top: tree,
    byPath: b.byPath,
    compensations: b.compensations,
  };
}
