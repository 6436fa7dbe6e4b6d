/**
 * Outcomes of running a node: what the interpreter passes up the tree.
 * @module
 */
import type { ErrorInfo } from "../core/errors.js";

/** Why a run stopped without an outcome of its own. */
export type StopReason = "cancelled" | "lease_lost" | "closing";

/** The outcome of a node (or a pipeline). */
export type Outcome =
  /** Finished; `value` is what it returned (possibly a goto marker). */
  | { kind: "ok"; value: unknown }
  /** Failed for good: the workflow fails (and compensates). */
  | { kind: "failed"; error: ErrorInfo }
  /**
   * Cannot go on before `until` (epoch ms; null: until a signal arrives): suspend the
   * execution durably. `waiting` when a wait (not a retry backoff) is involved.
   */
  | { kind: "blocked"; until: number | null; waiting: boolean }
  /** The run was stopped from outside; unwind without writing anything more. */
  | { kind: "stopped"; reason: StopReason };

/** Shorthand constructors. */
export const ok = (value: unknown): Outcome => ({ kind: "ok", value });
export const failed = (error: ErrorInfo): Outcome => ({ kind: "failed", error });
