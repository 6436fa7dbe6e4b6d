/**
 * Shapes of workflow graphs, shared by the builder, the state aggregation and
 * the text renderers. Re-exported by `graph.ts`.
 * @module
 */

/** Kind of a graph node. */
export type GraphNodeKind =
  | "start"
  | "end"
  | "step"
  | "decision"
  | "branch"
  | "parallel"
  | "forEach"
  | "loop"
  | "compensation";

/** State of a node in one execution. */
export interface GraphNodeState {
  /** Status of the node's latest record (containers: see `graph.ts`). */
  status: string;
  /** Attempt (leaf) records: of the node itself, or of everything beneath a container. */
  attempts: number;
  /** Sum of the durations of those records; null when none has one. */
  durationMs: number | null;
  /** Branches only: the case chosen by the latest selection (null: no case matched). */
  case?: string | null;
}

/** A node of the graph. */
export interface GraphNode {
  id: string;
  kind: GraphNodeKind;
  label: string;
  path: (string | number)[];
  state?: GraphNodeState;
}

/** An edge of the graph. */
export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
}

/** The JSON form of a graph. */
export interface GraphJson {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** Output format of `graph()`. */
export type GraphFormat = "json" | "mermaid" | "dot";
