/**
 * The small engine state stored on the execution row. Progress itself is in the
 * step records (the journal); this only holds what the records cannot say.
 * @module
 */

/** Engine state of an execution. */
export interface ExecState {
  /**
   * Step record id at the last `retry()`: failures recorded at or below it no longer
   * count toward retry budgets (the execution got fresh attempts).
   */
  floor: number;
  /** Set by `cancel(id, { compensate: true })`: run the compensations, stay cancelled. */
  compensate?: boolean;
}

/** Reads a stored state, tolerating an empty object (a fresh row). */
export function readState(stored: unknown): ExecState {
  const s = (stored ?? {}) as Partial<ExecState>;
  const state: ExecState = { floor: typeof s.floor === "number" ? s.floor : 0 };
  if (s.compensate) state.compensate = true;
  return state;
}
