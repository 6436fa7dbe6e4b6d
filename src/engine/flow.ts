/**
 * Pure control-flow decisions: jumps, branch cases, result merging, loop limits.
 * @module
 */
import { InvalidGotoError, LoopLimitError, type ErrorInfo } from "../core/errors.js";
import { isGoto } from "../dsl/goto.js";
import type { BranchNode, ItemResult, Node, ParallelNode } from "../dsl/nodes.js";

/** Where a pipeline goes after the node at `index` returned `returned` (given `input`). */
export type Step =
  | { kind: "next"; index: number; data: unknown }
  | { kind: "end"; data: unknown }
  | { kind: "error"; error: InvalidGotoError };

/**
 * After `nodes[index]` returned: `undefined` passes its input on; `goto(target, data)`
 * jumps forward to a later sibling; anything else flows to the next node.
 */
export function nextInPipeline(
  nodes: readonly Node[],
  index: number,
  input: unknown,
  returned: unknown,
): Step {
  const here = nodes[index];
  if (isGoto(returned)) {
    const target = nodes.findIndex((n) => n.name === returned.target);
    if (target <= index) {
      const why =
        returned.target === here?.name
          ? "a node cannot jump to itself"
          : target < 0
            ? "it is not a node at the same level"
            : "jumps may only go forward, to a later sibling";
      return {
        kind: "error",
        error: new InvalidGotoError(
          `Invalid goto from "${here?.name}" to "${returned.target}": ${why}`,
        ),
      };
    }
    return { kind: "next", index: target, data: returned.data };
  }
  const data = returned === undefined ? input : returned;
  return index + 1 >= nodes.length
    ? { kind: "end", data }
    : { kind: "next", index: index + 1, data };
}

/** The case a branch selector's value picks: `String(value)`, else `_`, else none. */
export function pickCase(node: BranchNode, value: unknown): string | null {
  const key = String(value);
  if (Object.prototype.hasOwnProperty.call(node.cases, key)) return key;
  if (Object.prototype.hasOwnProperty.call(node.cases, "_")) return "_";
  return null;
}

/** Key of a parallel child's result in `__results__`. */
export function resultKey(child: ParallelNode["children"][number]): string {
  return child.options.returns ?? child.name;
}

/** The default merge of a parallel block or forEach: `{ ...data, __results__ }`. */
export function mergeResults(data: unknown, results: unknown): unknown {
  const base = typeof data === "object" && data !== null && !Array.isArray(data) ? data : {};
  return { ...base, __results__: results };
}

/** A failed item result. */
export function failedResult(error: ErrorInfo): ItemResult {
  return { ok: false, error };
}

/** The error when a loop would start iteration `iteration` (0-based) past its limit. */
export function loopLimit(name: string, iteration: number, max: number): LoopLimitError | null {
  if (iteration < max) return null;
  return new LoopLimitError(`Loop "${name}" exceeded maxIterations (${max})`);
}
