/**
 * Queries of the hot path: claim, checkpoint, heartbeat. Every write a worker makes
 * after a claim is fenced by the lease token it got from that claim.
 * @module
 */
import type { ExecutionStatus, StepStatus, StepType } from "../core/types.js";
import { StoreBase } from "./store-base.js";

/** An execution as a claim returns it. JSON columns are still encoded. */
export interface ClaimedRow {
  id: string;
  workflow: string;
  status: ExecutionStatus;
  queue: string;
  priority: number;
  input: unknown;
  context: unknown;
  state: Record<string, unknown>;
  current_step: string | null;
  lease_token: number;
  started_at: Date;
  /** Owner of the previous lease when it expired without release (crash recovery), else null. */
  prev_owner: string | null;
  /** Last checkpoint time before this claim. */
  prev_updated_at: Date;
  /** True when the execution never ran before (no records to replay). */
  fresh: boolean;
  /** Signals (events, inputs, children ending) received so far; see `suspend`. */
  signal_seq: number;
  parent_id: string | null;
  /** The recorded error (a compensating execution keeps its original error). */
  error: unknown;
}

/** A step record as replay needs it. */
export interface JournalRow {
  id: number;
  path: (string | number)[];
  type: StepType;
  status: StepStatus;
  attempt: number;
  input: unknown;
  output: unknown;
  error: unknown;
  compensation_for: string | null;
}

/** A step record to insert. JSON values are JSON text from the serializer. */
export interface StepWrite {
  name: string;
  type: StepType;
  path: string;
  attempt: number;
  status: StepStatus;
  input: string | null;
  output: string | null;
  error: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  durationMs: number | null;
  logs: string | null;
  compensationFor?: string | null;
  childId?: string | null;
}

/** Changes to an execution row at a checkpoint. Absent fields are left as they are. */
export interface ExecutionWrite {
  now: Date;
  state: string;
  status?: ExecutionStatus;
  context?: string;
  output?: string | null;
  error?: string | null;
  currentStep?: string | null;
  /**
   * Next time the row may be claimed, or null (nothing to do). Leave it out on
   * mid-run checkpoints: the lease is extended by heartbeats, and not touching an
   * indexed column keeps those updates HOT.
   */
  runAt?: Date | null;
  /** Give the lease up (a new token fences off anything still in flight). */
  release?: boolean;
  completedAt?: Date | null;
  compensationResults?: string | null;
  compensatedAt?: Date | null;
  /**
   * Suspend on waits: status `waiting`, due at `until` (null: only a signal wakes it) —
   * unless a signal arrived since the claim (`signal_seq` moved past `seenSignal`): then
   * it is due at once, so no event or input is slept through.
   */
  suspend?: { until: Date | null; seenSignal: number };
  /** Tell the parent execution (if any) that something happened: this child ended. */
  wakeParent?: boolean;
  /** The execution ended: its waits still pending are cancelled (nobody answers them now). */
  cancelWaits?: boolean;
}

const EXEC_FIELDS: [keyof ExecutionWrite, string, string][] = [
  ["runAt", "run_at", "::timestamptz"],
  ["status", "status", ""],
  ["context", "context", "::jsonb"],
  ["output", "output", "::jsonb"],
  ["error", "error", "::jsonb"],
  ["currentStep", "current_step", ""],
  ["completedAt", "completed_at", ""],
  ["compensationResults", "compensation_results", "::jsonb"],
  ["compensatedAt", "compensated_at", ""],
];

const STEP_COLUMNS =
  "execution_id, name, type, path, attempt, status, input, output, error, started_at, completed_at, duration_ms, logs, compensation_for, child_id";

function stepValues(s: StepWrite, params: unknown[]): string {
  const start = params.length;
  params.push(
    s.name,
    s.type,
    s.path,
    s.attempt,
    s.status,
    s.input,
    s.output,
    s.error,
    s.startedAt,
    s.completedAt,
    s.durationMs,
    s.logs,
    s.compensationFor ?? null,
    s.childId ?? null,
  );
  const p = (i: number) => `$${start + i}`;
  return `${p(1)}, ${p(2)}, ${p(3)}::jsonb, ${p(4)}, ${p(5)}, ${p(6)}::jsonb, ${p(7)}::jsonb, ${p(8)}::jsonb, ${p(9)}::timestamptz, ${p(10)}::timestamptz, ${p(11)}, ${p(12)}::jsonb, ${p(13)}, ${p(14)}`;
}

/** Worker-side queries. */
export class WorkerQueries extends StoreBase {
  /**
   * Claims up to `limit` due executions of a queue with `FOR UPDATE SKIP LOCKED`: highest
   * priority first, then the longest due. The lease lasts until `leaseUntil`.
   */
  async claim(
    queue: string,
    owner: string,
    now: Date,
    leaseUntil: Date,
    limit: number,
    workflows: string[],
  ): Promise<ClaimedRow[]> {
    const { rows } = await this.driver.query<ClaimedRow>(
      `WITH c AS (
         SELECT id, lease_owner, updated_at, started_at FROM ${this.t("executions")}
         WHERE queue = $1 AND run_at <= $2 AND workflow = ANY($6::text[])
         ORDER BY priority DESC, run_at, seq
         LIMIT $3 FOR UPDATE SKIP LOCKED)
       UPDATE ${this.t("executions")} e SET
         status = CASE WHEN e.status IN ('pending', 'waiting') THEN 'running' ELSE e.status END,
         lease_owner = $4, lease_token = e.lease_token + 1, run_at = $5,
         started_at = coalesce(e.started_at, $2), updated_at = $2
       FROM c WHERE e.id = c.id
       RETURNING e.id, e.workflow, e.status, e.queue, e.priority, e.input, e.context, e.state,
         e.current_step, e.lease_token, e.started_at, c.lease_owner AS prev_owner,
         c.updated_at AS prev_updated_at, c.started_at IS NULL AS fresh, e.error,
         e.signal_seq::float8 AS signal_seq, e.parent_id`,
      [queue, now, limit, owner, leaseUntil, workflows],
    );
    return rows;
  }

  /**
   * Writes a checkpoint in one round trip: the execution row (fenced by `token`), an
   * optional step record and optional notifications. Resolves to the new record's id
   * (0 without one), or null when the lease is no longer ours (cancelled, or taken
   * over after expiry): then nothing was written.
   */
  async checkpoint(
    id: string,
    token: number,
    exec: ExecutionWrite,
    step?: StepWrite,
    notify?: string,
  ): Promise<number | null> {
    const params: unknown[] = [id, token, exec.now, exec.state];
    const sets = ["updated_at = $3", "state = $4::jsonb"];
    for (const [key, column, cast] of EXEC_FIELDS) {
      if (exec[key] === undefined) continue;
      params.push(exec[key]);
      sets.push(`${column} = $${params.length}${cast}`);
    }
    if (exec.suspend) {
      params.push(exec.suspend.until, exec.suspend.seenSignal);
      const n = params.length;
      sets.push(
        "status = 'waiting'",
        `run_at = CASE WHEN signal_seq <> $${n} THEN $3::timestamptz ELSE $${n - 1}::timestamptz END`,
      );
    }
    if (exec.release) sets.push("lease_owner = NULL", "lease_token = lease_token + 1");
    let sql = `WITH e AS (UPDATE ${this.t("executions")} SET ${sets.join(", ")}
      WHERE id = $1 AND lease_token = $2 RETURNING id, parent_id)`;
    if (exec.cancelWaits)
      sql += `, cw AS (UPDATE ${this.t("waits")} SET status = 'cancelled', completed_at = $3
        WHERE execution_id = (SELECT id FROM e) AND status = 'pending')`;
    if (exec.wakeParent) {
      params.push(this.channel);
      sql += `, p AS (UPDATE ${this.t("executions")} SET signal_seq = signal_seq + 1,
        run_at = CASE WHEN status = 'waiting' THEN $3::timestamptz ELSE run_at END
        WHERE id = (SELECT parent_id FROM e) RETURNING pg_notify($${params.length}, 'w:' || queue) AS n)`;
    }
    if (step) {
      sql += `, s AS (INSERT INTO ${this.t("steps")} (${STEP_COLUMNS})
        SELECT e.id, ${stepValues(step, params)} FROM e RETURNING id::float8 AS id)`;
    }
    const stepId = step ? "(SELECT id FROM s)" : "0";
    const woke = exec.wakeParent ? ", (SELECT count(*) FROM p) AS woke" : "";
    sql += ` SELECT ${stepId} AS step_id${woke} FROM e`;
    const { rows } = await this.driver.query<{ step_id: number }>(sql, params);
    if (!rows[0]) return null;
    if (notify !== undefined) this.notifier.send(notify);
    return Number(rows[0].step_id);
  }

  /** The earliest due time after `now` on a queue (for the worker's one timer), or null. */
  async nextDue(queue: string, now: Date, workflows: string[]): Promise<Date | null> {
    const { rows } = await this.driver.query<{ at: Date | null }>(
      `SELECT min(run_at) AS at FROM ${this.t("executions")}
       WHERE queue = $1 AND run_at > $2 AND workflow = ANY($3::text[])`,
      [queue, now, workflows],
    );
    return rows[0]?.at ?? null;
  }

  /** Every step record of an execution, in execution order, for replay. */
  async journal(id: string): Promise<JournalRow[]> {
    const { rows } = await this.driver.query<JournalRow>(
      `SELECT id::float8 AS id, path, type, status, attempt,
         CASE WHEN type = 'forEach' AND status = 'running' THEN input END AS input,
         output, error, compensation_for
       FROM ${this.t("steps")} WHERE execution_id = $1 ORDER BY id`,
      [id],
    );
    return rows;
  }

  /**
   * Inserts a step record while the lease is ours, without touching the execution row
   * (parallel children, forEach items): fenced by a shared lock on the row, so records
   * of concurrent children do not queue behind each other, and a cancel or takeover
   * (which bumps the token) orders after it. Resolves to the record's id, or null.
   */
  async recordStep(id: string, token: number, step: StepWrite): Promise<number | null> {
    const params: unknown[] = [id, token];
    const { rows } = await this.driver.query<{ id: number }>(
      `WITH e AS (SELECT id FROM ${this.t("executions")} WHERE id = $1 AND lease_token = $2 FOR SHARE)
       INSERT INTO ${this.t("steps")} (${STEP_COLUMNS})
       SELECT e.id, ${stepValues(step, params)} FROM e RETURNING id::float8 AS id`,
      params,
    );
    return rows[0] ? Number(rows[0].id) : null;
  }

  /** Inserts a step record for an execution that was cancelled under a running step. */
  async recordCancelledStep(id: string, step: StepWrite): Promise<void> {
    const params: unknown[] = [id];
    await this.driver.query(
      `INSERT INTO ${this.t("steps")} (${STEP_COLUMNS})
       SELECT id, ${stepValues(step, params)} FROM ${this.t("executions")}
       WHERE id = $1 AND status = 'cancelled'`,
      params,
    );
  }

  /**
   * Extends the leases this owner holds. Returns the ids still held with the expected
   * token; the caller aborts the others (lost leases).
   */
  async heartbeat(
    owner: string,
    held: { id: string; token: number }[],
    leaseUntil: Date,
  ): Promise<Set<string>> {
    if (held.length === 0) return new Set();
    const { rows } = await this.driver.query<{ id: string }>(
      `UPDATE ${this.t("executions")} e SET run_at = $4
       FROM unnest($1::text[], $2::int[]) AS h(id, token)
       WHERE e.id = h.id AND e.lease_token = h.token AND e.lease_owner = $3
       RETURNING e.id`,
      [held.map((h) => h.id), held.map((h) => h.token), owner, leaseUntil],
    );
    return new Set(rows.map((r) => r.id));
  }
}
