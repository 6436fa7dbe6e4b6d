/**
 * Puts an execution's state on a built graph: every node reached gets
 * `{ status, attempts, durationMs }` aggregated from the records of its path across
 * loop iterations and forEach items. Rules (see also `graph.ts`):
 *
 * - Leaves (steps, decisions, parallel children, compensations): status of the latest
 *   record, attempts = number of records, durationMs = sum of their durations.
 * - forEach: status of its latest own record (`running` while items run, then
 *   `completed` / `failed`); attempts and durationMs summed over its item records.
 * - branch, parallel, loop: attempts and durationMs summed over the leaves beneath.
 *   Status: the latest own record's when nothing ran beneath after it (a branch whose
 *   chosen case has not started yet is `running`, one with no match `skipped`);
 *   otherwise rolled up from the children active since that record: any
 *   running/pending → `running`, else waiting → `waiting`, else failed → `failed`,
 *   else cancelled → `cancelled`, else `running` (not concluded yet), except a branch
 *   whose chosen case's last node has completed (or was skipped): `completed`.
 *   Branch states also carry the chosen `case` (null: no match). Nodes of cases never
 *   taken are never reached: they get no state.
 * - start: `completed` as soon as there is any record; end: `completed` when the last
 *   top-level node is `completed` (or `skipped`, a branch without match).
 *
 * Records are taken in execution order (by numeric id when all ids are numeric). Records
 * whose path or type does not fit the definition (e.g. an older version of the
 * workflow) are ignored.
 * @module
 */
import type { StepExecution } from "../core/types.js";
import type { BuiltGraph, TreeNode } from "./graph-build.js";
import type { GraphNodeState } from "./graph-types.js";
import { pathKey } from "./paths.js";

interface Indexed {
  rec: StepExecution;
  i: number;
}

interface Bucket {
  own: Indexed[];
  leaf: Indexed[];
}

/** What a node contributes to its parent. */
interface Summary {
  /** Index of the latest record of the node or beneath it; -1 when none. */
  last: number;
  attempts: number;
  durationMs: number | null;
  status?: string;
}

const CONTAINERS = new Set(["branch", "parallel", "forEach", "loop"]);
const LEAF_TYPES = new Set(["step", "decision", "compensation"]);
const DONE = new Set(["completed", "skipped"]);

const addDuration = (a: number | null, b: number | null | undefined): number | null =>
  typeof b === "number" && Number.isFinite(b) ? (a ?? 0) + b : a;

/** Status of a container from its children active since its latest own record. */
function rollup(statuses: readonly string[]): string {
  const has = (...s: string[]) => statuses.some((x) => s.includes(x));
  if (has("running", "pending")) return "running";
  if (has("waiting")) return "waiting";
  if (has("failed")) return "failed";
  if (has("cancelled")) return "cancelled";
  return "running";
}

const chosenCase = (rec: StepExecution): string | null => {
  const out = rec.output as { case?: unknown } | null | undefined;
  return typeof out?.case === "string" ? out.case : null;
};

/**
 * The records in execution order. They should come so already; when every id is a
 * decimal number (database identities) they are sorted by it anyway, as a guard
 * against a lexical `ORDER BY` ("10" before "2").
 */
function inOrder(steps: readonly StepExecution[]): readonly StepExecution[] {
  if (!steps.every((r) => typeof r?.id === "string" && /^\d+$/.test(r.id))) return steps;
  const num = (id: string) => id.replace(/^0+(?=\d)/, "");
  const cmp = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return [...steps].sort((a, b) => cmp(num(a.id), num(b.id)));
}

class StateBuilder {
  private readonly buckets = new Map<TreeNode, Bucket>();
  private readonly summaries = new Map<TreeNode, Summary>();

  constructor(
    private readonly g: BuiltGraph,
    steps: readonly StepExecution[],
  ) {
    inOrder(steps).forEach((rec, i) => this.sort(rec, i));
  }

  /** Files a record under its node, as the node's own (container) record or a leaf one. */
  private sort(rec: StepExecution, i: number): void {
    if (!rec || !Array.isArray(rec.path)) return;
    const t =
      rec.type === "compensation"
        ? this.g.compensations.get(String(rec.path[0] ?? rec.name))
        : this.g.byPath.get(pathKey(rec.path.filter((s) => typeof s !== "number")));
    if (!t) return;
    const kind = t.node.kind;
    let into: "own" | "leaf" | null = null;
    if (CONTAINERS.has(kind)) {
      if (rec.type === kind) into = "own";
      else if (kind === "forEach" && rec.type === "step") into = "leaf";
    } else if (LEAF_TYPES.has(rec.type)) into = "leaf";
    if (into === null) return;
    let bucket = this.buckets.get(t);
    if (!bucket) this.buckets.set(t, (bucket = { own: [], leaf: [] }));
    bucket[into].push({ rec, i });
  }

  /** Computes (and sets) the state of `t` and everything beneath it. */
  visit(t: TreeNode): Summary {
    const children = t.children.map((c) => this.visit(c));
    const b = this.buckets.get(t) ?? { own: [], leaf: [] };
    let attempts = b.leaf.length;
    let durationMs: number | null = null;
    let last = Math.max(b.own.at(-1)?.i ?? -1, b.leaf.at(-1)?.i ?? -1);
    for (const l of b.leaf) durationMs = addDuration(durationMs, l.rec.durationMs);
    for (const c of children) {
      attempts += c.attempts;
      durationMs = addDuration(durationMs, c.durationMs);
      last = Math.max(last, c.last);
    }
    const summary: Summary = { last, attempts, durationMs };
    this.summaries.set(t, summary);
    if (last < 0) return summary;
    const state: GraphNodeState = { status: "", attempts, durationMs };
    const kind = t.node.kind;
    if (kind === "forEach") state.status = (b.own.at(-1) ?? b.leaf.at(-1))!.rec.status;
    else if (!CONTAINERS.has(kind)) state.status = b.leaf.at(-1)!.rec.status;
    else state.status = this.containerStatus(t, b, children);
    if (kind === "branch") {
      const own = b.own.at(-1);
      state.case = own ? chosenCase(own.rec) : null;
    }
    summary.status = state.status;
    t.node.state = state;
    return summary;
  }

  private containerStatus(t: TreeNode, b: Bucket, children: readonly Summary[]): string {
    const own = b.own.at(-1);
    const since = own?.i ?? -1;
    const active = children.filter((c) => c.last > since);
    if (own && active.length === 0) {
      if (t.node.kind !== "branch") return own.rec.status;
      return own.rec.status === "completed" ? "running" : own.rec.status;
    }
    if (t.node.kind === "branch" && own) {
      const lastOfCase = t.cases?.get(chosenCase(own.rec) ?? "")?.at(-1);
      const s = lastOfCase && this.summaries.get(lastOfCase);
      if (s && s.last > since && DONE.has(s.status ?? "")) return "completed";
    }
    return rollup(active.map((c) => c.status ?? "running"));
  }

  apply(): void {
    const top = this.g.top.map((t) => this.visit(t));
    for (const c of this.g.compensations.values()) this.visit(c);
    const reached = this.buckets.size > 0;
    if (!reached) return;
    this.g.start.state = { status: "completed", attempts: 0, durationMs: null };
    const final = top.length === 0 ? "completed" : top.at(-1)?.status;
    if (final && DONE.has(final))
      this.g.end.state = { status: "completed", attempts: 0, durationMs: null };
  }
}

/** Sets `state` on the nodes of `g` reached by the records `steps` (in execution order). */
export function applyState(g: BuiltGraph, steps: readonly StepExecution[]): void {
  new StateBuilder(g, steps).apply();
}
