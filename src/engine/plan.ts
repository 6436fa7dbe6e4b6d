/**
 * What runs next: pure decisions from (definition, state, output).
 * @module
 */
import { InvalidGotoError } from "../core/errors.js";
import { isGoto } from "../dsl/goto.js";
import type { Node, WorkflowDefinition } from "../dsl/nodes.js";

/** The node the cursor points at, or undefined past the end of the pipeline. */
export function nodeAt(def: WorkflowDefinition, cursor: readonly number[]): Node | undefined {
  return def.nodes[cursor[0] ?? 0];
}

/** Outcome of finishing a node. */
export type Advance =
  | { kind: "next"; cursor: number[]; data: unknown }
  | { kind: "done"; output: unknown }
  | { kind: "error"; error: Error };

/**
 * After the node at `cursor` returned `returned` (given it received `input`): where to
 * go next and with what data. `undefined` passes the input on; `goto(target, data)`
 * jumps forward to a later sibling.
 */
export function advance(
  def: WorkflowDefinition,
  cursor: readonly number[],
  input: unknown,
  returned: unknown,
): Advance {
  const index = cursor[0] ?? 0;
  const here = def.nodes[index];
  let next = index + 1;
  let data = returned === undefined ? input : returned;
  if (isGoto(returned)) {
    const target = def.nodes.findIndex((n) => n.name === returned.target);
    if (target <= index) {
      const why =
        returned.target === here?.name
          ? "a node cannot jump to itself"
          : target < 0
            ? "no such node at this level"
            : "jumps may only go forward";
      return {
        kind: "error",
        error: new InvalidGotoError(
          `Invalid goto from "${here?.name}" to "${returned.target}": ${why}`,
        ),
      };
    }
    next = target;
    data = returned.data;
  }
  if (next >= def.nodes.length) return { kind: "done", output: data };
  return { kind: "next", cursor: [next], data };
}

/** Deadline (epoch ms) of an execution that first started at `startedAt`, if it has a timeout. */
export function workflowDeadline(def: WorkflowDefinition, startedAt: number): number | null {
  return def.options.timeout === undefined ? null : startedAt + def.options.timeout;
}
