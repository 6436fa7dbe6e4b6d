/**
 * The journal: what an execution's step records say has happened, indexed for replay.
 * A resumed execution walks its definition again and takes every finished node's
 * recorded outcome instead of running it.
 * @module
 */
import type { ErrorInfo } from "../core/errors.js";
import type { NodePath, StepStatus, StepType } from "../core/types.js";
import { pathKey } from "./paths.js";

/** A step record as the journal needs it (values already decoded). */
export interface JournalRecord {
  id: number;
  path: NodePath;
  type: StepType;
  status: StepStatus;
  attempt: number;
  input?: unknown;
  output: unknown;
  error: ErrorInfo | null;
  compensationFor?: string | null;
}

/** What the journal knows of one path. */
export interface PathHistory {
  /** Attempts recorded (any status). */
  attempts: number;
  /** Failed attempts that count toward `maxAttempts` (not crash interruptions). */
  failures: number;
  /** Attempts cut short by an expired lease. */
  recoveries: number;
  /** The completed record, when the node finished. */
  completed: JournalRecord | null;
  /** The latest record at this path. */
  last: JournalRecord | null;
  /** The first record at this path (e.g. a forEach's recorded items). */
  first: JournalRecord | null;
}

const EMPTY: PathHistory = {
  attempts: 0,
  failures: 0,
  recoveries: 0,
  completed: null,
  last: null,
  first: null,
};

/** Whether records of this type are attempts of user code (not container markers). */
export function isLeaf(type: StepType): boolean {
  return type === "step" || type === "decision" || type === "compensation";
}

/** Records indexed by path. Mutable: the runner adds what it records as it goes. */
export class Journal {
  private readonly byPath = new Map<string, PathHistory>();
  /** Completed step records in completion order (for compensation). */
  readonly completedSteps: JournalRecord[] = [];

  /**
   * @param records - existing records in execution order.
   * @param floor - records with an id at or below this were made before the last
   *   `retry()`: they still count as attempts but not toward failure budgets.
   */
  constructor(
    records: readonly JournalRecord[] = [],
    private readonly floor = 0,
  ) {
    for (const r of records) this.add(r);
  }

  /** Adds a record (loaded, or just written). */
  add(r: JournalRecord): void {
    const key = pathKey(r.path);
    const h = { ...(this.byPath.get(key) ?? EMPTY) };
    if (isLeaf(r.type)) h.attempts = Math.max(h.attempts, r.attempt);
    if (r.status === "failed" && r.id > this.floor) {
      if (r.error?.type === "LeaseExpired") h.recoveries++;
      else h.failures++;
    }
    if (r.status === "completed" || r.status === "skipped") {
      h.completed = r;
      if (r.type === "step" || r.type === "decision") this.completedSteps.push(r);
    }
    h.first ??= r;
    h.last = r;
    this.byPath.set(key, h);
  }

  /** History of a path (empty when nothing was recorded). */
  at(path: readonly (string | number)[]): PathHistory {
    return this.byPath.get(pathKey(path)) ?? EMPTY;
  }

  /** Whether the journal holds any record. */
  get empty(): boolean {
    return this.byPath.size === 0;
  }
}
