/**
 * Queries behind the client API: start, read, list, count, cancel, retry, cleanup.
 * @module
 */
import type { ErrorInfo } from "../core/errors.js";
import type { Execution, ExecutionStatus, StepExecution } from "../core/types.js";
import type { Queryable } from "./driver.js";
import { EXECUTION_COLUMNS, toExecution, toStep, type ExecutionRow, type StepRow } from "./rows.js";
import { Notice, StoreBase } from "./store-base.js";

/** A new execution to insert. Values are JSON text from the serializer. */
export interface NewExecution {
  id: string;
  workflow: string;
  queue: string;
  priority: number;
  input: string;
  idempotencyKey: string | null;
  scheduledAt: Date | null;
  runAt: Date;
  now: Date;
  parentId?: string | null;
  parentStep?: string | null;
  scheduleName?: string | null;
  scheduleFireAt?: Date | null;
}

/** Filters of list and count. */
export interface ExecutionFilter {
  workflow?: string | string[];
  status?: ExecutionStatus | ExecutionStatus[];
  queue?: string;
  parentId?: string;
  topLevelOnly?: boolean;
  from?: Date;
  to?: Date;
}

/** Outcome of a state-changing call on one execution. */
export type ChangeOutcome =
  | { ok: true; row: ExecutionRow; cascaded?: ExecutionRow[] }
  | { ok: false; current: { status: ExecutionStatus } | null };

const ACTIVE = ["pending", "running", "waiting"];

/**
 * Inserts an execution row unless one with the same id, idempotency key, or schedule and
 * fire time exists. Resolves to the new id, or null. Runs on `db` (a transaction too).
 */
export async function insertExecutionRow(
  db: Queryable,
  table: string,
  e: NewExecution,
): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${table} (id, workflow, status, queue, priority, input, context,
       idempotency_key, scheduled_at, run_at, created_at, updated_at, parent_id, parent_step,
       schedule_name, schedule_fire_at)
     VALUES ($1, $2, 'pending', $3, $4, $5::jsonb, $5::jsonb, $6, $7, $8, $9, $9, $10, $11, $12, $13)
     ON CONFLICT DO NOTHING
     RETURNING id`,
    [
      e.id,
      e.workflow,
      e.queue,
      e.priority,
      e.input,
      e.idempotencyKey,
      e.scheduledAt,
      e.runAt,
      e.now,
      e.parentId ?? null,
      e.parentStep ?? null,
      e.scheduleName ?? null,
      e.scheduleFireAt ?? null,
    ],
  );
  return rows[0]?.id ?? null;
}

/** Client-side queries. */
export class ExecutionQueries extends StoreBase {
  /**
   * Inserts an execution and notifies workers after it commits. Returns its id, or the
   * id of the execution that already has this id or idempotency key.
   */
  async insert(e: NewExecution): Promise<string> {
    const id = await insertExecutionRow(this.driver, this.t("executions"), e);
    if (id !== null) {
      const at = e.runAt.getTime();
      this.notifier.send(Notice.work(e.queue, at > e.now.getTime() ? at : undefined));
      return id;
    }
    const existing = await this.driver.query<{ id: string }>(
      `SELECT id FROM ${this.t("executions")} WHERE id = $1 OR idempotency_key = $2 LIMIT 1`,
      [e.id, e.idempotencyKey],
    );
    if (!existing.rows[0]) throw new Error("insert conflicted but no conflicting row was found");
    return existing.rows[0].id;
  }

  async get(id: string): Promise<Execution | null> {
    const { rows } = await this.driver.query<ExecutionRow>(
      `SELECT ${EXECUTION_COLUMNS} FROM ${this.t("executions")} WHERE id = $1`,
      [id],
    );
    return rows[0] ? toExecution(rows[0]) : null;
  }

  /** Step records of an execution, in execution order. */
  async steps(id: string, includeLogs: boolean): Promise<StepExecution[]> {
    const { rows } = await this.driver.query<StepRow>(
      `SELECT id::text AS id, name, type, path, attempt, status, input, output, error, started_at,
         completed_at, duration_ms, child_id, compensation_for${includeLogs ? ", logs" : ""}
       FROM ${this.t("steps")} s WHERE s.execution_id = $1 ORDER BY s.id`,
      [id],
    );
    return rows.map(toStep);
  }

  private where(f: ExecutionFilter, params: unknown[]): string {
    const conds: string[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      conds.push(sql.replace("?", `$${params.length}`));
    };
    if (f.workflow !== undefined)
      add("workflow = ANY(?::text[])", Array.isArray(f.workflow) ? f.workflow : [f.workflow]);
    if (f.status !== undefined)
      add("status = ANY(?::text[])", Array.isArray(f.status) ? f.status : [f.status]);
    if (f.queue !== undefined) add("queue = ?", f.queue);
    if (f.parentId !== undefined) add("parent_id = ?", f.parentId);
    if (f.topLevelOnly) conds.push("parent_id IS NULL");
    if (f.from !== undefined) add("created_at >= ?", f.from);
    if (f.to !== undefined) add("created_at <= ?", f.to);
    return conds.length ? `WHERE ${conds.join(" AND ")}` : "";
  }

  async list(
    f: ExecutionFilter,
    limit: number,
    offset: number,
    order: "newest" | "oldest" = "newest",
  ): Promise<Execution[]> {
    const params: unknown[] = [];
    const where = this.where(f, params);
    const dir = order === "newest" ? "DESC" : "ASC";
    params.push(limit, offset);
    const { rows } = await this.driver.query<ExecutionRow>(
      `SELECT ${EXECUTION_COLUMNS} FROM ${this.t("executions")} ${where}
       ORDER BY created_at ${dir}, seq ${dir} LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return rows.map(toExecution);
  }

  async count(f: ExecutionFilter): Promise<number> {
    const params: unknown[] = [];
    const { rows } = await this.driver.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.t("executions")} ${this.where(f, params)}`,
      params,
    );
    return rows[0]?.n ?? 0;
  }

  private async current(id: string): Promise<{ status: ExecutionStatus } | null> {
    const { rows } = await this.driver.query<{ status: ExecutionStatus }>(
      `SELECT status FROM ${this.t("executions")} WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * Cancels an active execution: terminal at once, lease fenced off (token bumped) so a
   * late write of the step that was running is rejected, and its owner told by NOTIFY.
   */
  async cancel(
    id: string,
    error: ErrorInfo,
    now: Date,
    origin: string,
    compensate: boolean,
  ): Promise<ChangeOutcome> {
    // The execution and, recursively, its active children (reason "parent_cancelled");
    // their pending waits are cancelled; each owner is told to abort (NOTIFY); a parent
    // waiting on the cancelled execution is woken so its callWorkflow rejects.
    const { rows } = await this.driver.query<ExecutionRow & { root: boolean }>(
      `WITH RECURSIVE tree AS (
         SELECT id FROM ${this.t("executions")} WHERE id = $1 AND status = ANY($4::text[])
         UNION ALL
         SELECT c.id FROM ${this.t("executions")} c JOIN tree ON c.parent_id = tree.id
         WHERE c.status = ANY($4::text[])),
       u AS (
         UPDATE ${this.t("executions")} x SET status = 'cancelled',
           error = CASE WHEN x.id = $1 THEN $2::jsonb
             ELSE '{"type":"cancelled","message":"parent_cancelled"}'::jsonb END,
           completed_at = $3, updated_at = $3, lease_owner = NULL, lease_token = x.lease_token + 1,
           run_at = CASE WHEN $7 AND x.id = $1 THEN $3::timestamptz END,
           state = CASE WHEN $7 AND x.id = $1 THEN x.state || '{"compensate":true}'::jsonb ELSE x.state END
         FROM tree WHERE x.id = tree.id
         RETURNING x.*),
       w AS (
         UPDATE ${this.t("waits")} SET status = 'cancelled', completed_at = $3
         WHERE execution_id IN (SELECT id FROM u) AND status = 'pending'),
       sw AS (
         UPDATE ${this.t("steps")} SET status = 'cancelled', completed_at = $3
         WHERE execution_id IN (SELECT id FROM u) AND status = 'waiting'),
       p AS (
         UPDATE ${this.t("executions")} SET signal_seq = signal_seq + 1,
           run_at = CASE WHEN status = 'waiting' THEN $3::timestamptz ELSE run_at END
         WHERE id = (SELECT parent_id FROM u WHERE u.id = $1)
           AND id NOT IN (SELECT id FROM u)
         RETURNING pg_notify($5, 'w:' || queue) AS n)
       SELECT ${EXECUTION_COLUMNS.split(",")
         .map((c) => `u.${c.trim()}`)
         .join(", ")}, u.id = $1 AS root,
         pg_notify($5, 'c:' || u.id) AS n1,
         pg_notify($5, 'd:cancelled:' || $6 || ':' || u.workflow || ':' || u.id) AS n2,
         CASE WHEN $7 AND u.id = $1 THEN pg_notify($5, 'w:' || u.queue) END AS n3,
         (SELECT count(*) FROM p) AS woke
       FROM u`,
      [id, JSON.stringify(error), now, ACTIVE, this.channel, origin, compensate],
    );
    const root = rows.find((r) => r.root);
    if (root) return { ok: true, row: root, cascaded: rows.filter((r) => !r.root) };
    return { ok: false, current: await this.current(id) };
  }

  /** Puts a failed execution back to work at the node that failed, with fresh attempts. */
  async retry(id: string, now: Date): Promise<ChangeOutcome> {
    const { rows } = await this.driver.query<ExecutionRow>(
      `WITH w AS (
         DELETE FROM ${this.t("waits")} WHERE execution_id = $1 AND status IN ('timeout', 'cancelled')
           AND EXISTS (SELECT 1 FROM ${this.t("executions")} WHERE id = $1 AND status = 'failed')),
       u AS (
         UPDATE ${this.t("executions")} SET status = 'pending', error = NULL, completed_at = NULL,
           output = NULL, updated_at = $2, run_at = $2, lease_owner = NULL,
           state = state || jsonb_build_object('floor',
             (SELECT coalesce(max(id), 0) FROM ${this.t("steps")} WHERE execution_id = $1))
         WHERE id = $1 AND status = 'failed'
         RETURNING ${EXECUTION_COLUMNS})
       SELECT u.*, pg_notify($3, 'w:' || u.queue) AS n FROM u`,
      [id, now, this.channel],
    );
    if (rows[0]) return { ok: true, row: rows[0] };
    return { ok: false, current: await this.current(id) };
  }

  /** Deletes terminal executions that ended before `before`, with their step records. */
  async cleanup(before: Date, statuses: ExecutionStatus[], dryRun: boolean): Promise<number> {
    const cond = `completed_at < $1 AND status = ANY($2::text[])`;
    if (dryRun) {
      const { rows } = await this.driver.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${this.t("executions")} WHERE ${cond}`,
        [before, statuses],
      );
      return rows[0]?.n ?? 0;
    }
    const { rows } = await this.driver.query<{ n: number }>(
      `WITH d AS (DELETE FROM ${this.t("executions")} WHERE ${cond} RETURNING id),
            s AS (DELETE FROM ${this.t("steps")} WHERE execution_id IN (SELECT id FROM d)),
            w AS (DELETE FROM ${this.t("waits")} WHERE execution_id IN (SELECT id FROM d)),
            v AS (DELETE FROM ${this.t("events")} WHERE execution_id IN (SELECT id FROM d))
       SELECT count(*)::int AS n FROM d`,
      [before, statuses],
    );
    return rows[0]?.n ?? 0;
  }
}
