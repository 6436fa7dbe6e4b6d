/**
 * The compensation phase of a saga: after a failure (or a cancel that asks
 * for it), the compensations of completed steps run in reverse completion order, each
 * with the output of the step it undoes and its own retries; a failing one does not
 * stop the chain. Each compensation is a recorded leaf, so a crash mid-chain resumes
 * without running a finished compensation twice.
 * @module
 */
import type { CompensationResult } from "../core/types.js";
import { compensationPlan } from "../engine/compensation.js";
import type { Outcome } from "../engine/outcome.js";
import { runLeaf } from "./leaf.js";
import type { RunScope } from "./run-scope.js";

/** Whether any completed step of the run has a compensation to run. */
export function hasCompensations(scope: RunScope): boolean {
  return compensationPlan(scope.def, scope.journal.completedSteps).length > 0;
}

/** Runs the compensation chain. Resolves to its results, or the stop that cut it short. */
export async function runCompensations(
  scope: RunScope,
): Promise<{ results: CompensationResult[] } | { stopped: Outcome }> {
  const results: CompensationResult[] = [];
  for (const task of compensationPlan(scope.def, scope.journal.completedSteps)) {
    const comp = scope.def.compensations.get(task.compensation);
    if (!comp) continue; // checked when the definition was built
    const out = await runLeaf(scope, {
      name: task.compensation,
      type: "compensation",
      path: task.path,
      fn: comp.fn,
      data: task.output,
      retry: comp.options.retry,
      timeout: comp.options.timeout,
      backoff: "inline",
      progress: false,
      compensationFor: task.step,
      noDeadline: true,
    });
    if (out.kind === "stopped" || out.kind === "blocked") return { stopped: out };
    const result: CompensationResult = {
      step: task.step,
      compensation: task.compensation,
      status: out.kind === "ok" ? "completed" : "failed",
    };
    if (out.kind === "failed") result.error = out.error;
    results.push(result);
  }
  return { results };
}
