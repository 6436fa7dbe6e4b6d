/**
 * Which compensations run after a failure, in which order.
 * @module
 */
import type { WorkflowDefinition, Node, StepOptions } from "../dsl/nodes.js";
import type { JournalRecord } from "./journal.js";

/** One compensation to run: undoes the completed step at `stepPath` with its output. */
export interface CompensationTask {
  compensation: string;
  step: string;
  stepPath: (string | number)[];
  /** Path of the compensation's own records: `[compensation, ...stepPath]`. */
  path: (string | number)[];
  output: unknown;
}

/** Step options by node name, across the whole tree. */
export function stepOptionsByName(def: WorkflowDefinition): Map<string, StepOptions> {
  const map = new Map<string, StepOptions>();
  const visit = (nodes: readonly Node[]) => {
    for (const n of nodes) {
      if (n.kind === "step" || n.kind === "decision") map.set(n.name, n.options);
      else if (n.kind === "branch") for (const c of Object.values(n.cases)) visit(c);
      else if (n.kind === "loop") visit(n.body);
      else if (n.kind === "parallel") for (const c of n.children) map.set(c.name, c.options);
    }
  };
  visit(def.nodes);
  return map;
}

/**
 * The compensations of the steps that completed, in reverse completion order. Each
 * completed step instance (a loop iteration, a parallel child) is undone once.
 */
export function compensationPlan(
  def: WorkflowDefinition,
  completed: readonly JournalRecord[],
): CompensationTask[] {
  const options = stepOptionsByName(def);
  const tasks: CompensationTask[] = [];
  for (const r of [...completed].sort((a, b) => b.id - a.id)) {
    const last = r.path[r.path.length - 1];
    if (typeof last !== "string") continue; // a forEach item: no compensation of its own
    const step = last;
    const compensation = options.get(step)?.compensate;
    if (!compensation) continue;
    tasks.push({
      compensation,
      step,
      stepPath: r.path,
      path: [compensation, ...r.path],
      output: r.output,
    });
  }
  return tasks;
}
