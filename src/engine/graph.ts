/**
 * Workflow graphs: drawn from the definition, optionally with an execution's
 * state on every node. Pure.
 *
 * Shape of the graph (`graph-build.ts`):
 * - A `start` node (id `wf_start`) and an `end` node (id `wf_end`); every definition
 *   node once, with id `n_` + its path segments joined by `__` (anything but letters,
 *   digits and `_` becomes `_`; a clash gets `_2`, `_3`...), compensations `c_` + name.
 *   Paths are templates: loop body nodes have no iteration number.
 * - Pipelines are chained by edges. A branch has an edge per case (label: the case
 *   key, `_` as "default") into the case's first node; each case's last node leads to
 *   what follows the branch; without `_`, a "no match" edge goes straight there.
 * - A parallel node fans out to its children (nodes of kind `step`, path
 *   `[parallel, child]`); the join is the edges from every child to the next node
 *   (no separate join node, so every node of the graph is one node of the tree).
 * - A loop node leads into its body; the body's last node(s) go back to it with a
 *   "repeat" edge; the loop leaves with a "done" edge. forEach is a single node
 *   ("for each: name").
 * - A decision has a "goto" edge to each declared target besides its normal next edge.
 * - Each declared compensation is one node of kind `compensation` (path `[name]`), with
 *   a "compensates" edge from every step naming it; renderings draw those dashed.
 *
 * State (`graph-state.ts`, only with records): see there for the aggregation rules.
 * @module
 */
import type { StepExecution } from "../core/types.js";
import type { WorkflowDefinition } from "../dsl/nodes.js";
import { buildGraph } from "./graph-build.js";
import { toDot, toMermaid } from "./graph-render.js";
import { applyState } from "./graph-state.js";
import type { GraphFormat, GraphJson } from "./graph-types.js";

export type {
  GraphEdge,
  GraphFormat,
  GraphJson,
  GraphNode,
  GraphNodeKind,
  GraphNodeState,
} from "./graph-types.js";

/** Draws a workflow definition (with an execution's records, when given). */
export function renderGraph(
  def: WorkflowDefinition,
  format: GraphFormat,
  steps?: readonly StepExecution[],
): GraphJson | string {
  const g = buildGraph(def);
  if (steps) applyState(g, steps);
  if (format === "mermaid") return toMermaid(g.json);
  if (format === "dot") return toDot(g.json, def.name);
  return g.json;
}
