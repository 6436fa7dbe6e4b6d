/**
 * The recorded execution state the engine decides from. Stored (as JSON) on the
 * execution row at every checkpoint, next to the value flowing through the
 * pipeline (`context`).
 * @module
 */

/**
 * Where an execution is and what has happened at that node.
 *
 * `cursor` is an index path into the definition tree: `[3]` is the fourth top-level
 * node. Nested node kinds (branch cases, loop iterations, parallel children, forEach
 * items) extend it with further segments; their per-child progress is kept in step
 * records, not here, so the state stays small whatever the number of items.
 */
export interface ExecState {
  cursor: number[];
  /** Attempts already recorded at the cursor's node (including interrupted ones). */
  attempt: number;
  /** Failed attempts at the node that count toward `maxAttempts`. */
  failures: number;
  /** Attempts at the node cut short by an expired lease (crash). */
  recoveries: number;
}

/** The state of an execution that has not started. */
export function initialState(): ExecState {
  return { cursor: [0], attempt: 0, failures: 0, recoveries: 0 };
}

/** Reads a stored state, tolerating an empty object (a fresh row). */
export function readState(stored: unknown): ExecState {
  const s = (stored ?? {}) as Partial<ExecState>;
  return {
    cursor: Array.isArray(s.cursor) ? s.cursor : [0],
    attempt: s.attempt ?? 0,
    failures: s.failures ?? 0,
    recoveries: s.recoveries ?? 0,
  };
}

/** The state at a new node: counters reset. */
export function atNode(cursor: number[]): ExecState {
  return { cursor, attempt: 0, failures: 0, recoveries: 0 };
}
