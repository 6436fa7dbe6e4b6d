/**
 * The `goto` marker: returned by a decision (or a step, or a parallel `into`) to
 * jump forward to a later sibling node.
 * @module
 */
import { InvalidGotoError } from "../core/errors.js";
import type { Goto } from "./nodes.js";

/**
 * Jumps forward to the later sibling node `target`, which receives `data`.
 * Return it from a decision, a step or a parallel `into`.
 *
 * @example
 * ```ts
 * .decision("triage", (d) => (d.amount > 1000 ? goto("manual_review", d) : d))
 * ```
 */
export function goto<T>(target: string, data: T): Goto<T> {
  if (typeof target !== "string" || target === "") {
    throw new InvalidGotoError(
      `goto target must be a non-empty node name (got ${JSON.stringify(target)})`,
    );
  }
  return Object.freeze({ __goto__: true as const, target, data });
}

/** Whether `value` is a {@link Goto} marker returned by {@link goto}. */
export function isGoto(value: unknown): value is Goto {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { __goto__?: unknown }).__goto__ === true &&
    typeof (value as { target?: unknown }).target === "string"
  );
}
