/**
 * Schedule queries: the `schedules` table, the scheduler's claims of due
 * schedules (`FOR UPDATE SKIP LOCKED`) and the executions it starts (`ON CONFLICT DO
 * NOTHING` on the unique `(schedule_name, schedule_fire_at)`), in the caller's
 * transaction.
 * @module
 */
import type { ErrorInfo } from "../core/errors.js";
import type { CatchUp } from "../engine/cron.js";
import type { Queryable } from "./driver.js";
import { insertExecutionRow, type NewExecution } from "./execution-queries.js";
import { Notice, StoreBase } from "./store-base.js";

/** `overlap` of a schedule. */
export type Overlap = "allow" | "skip";

/** Who disabled a schedule: a user call, the code (declaration removed), or failures. */
export type DisabledBy = "user" | "code" | "failures";

/** One row of `schedules`, as the store reads and writes it. */
export interface ScheduleRecord {
  name: string;
  workflow: string;
  cron: string;
  timezone: string;
  /** The input, as JSON text from the serializer (`null` for no input). */
  input: string | null;
  queue: string;
  enabled: boolean;
  catchUp: CatchUp;
  overlap: Overlap;
  declared: boolean;
  nextRunAt: Date | null;
  wakeAt: Date | null;
  lastRunAt: Date | null;
  lastError: ErrorInfo | null;
  consecutiveFailures: number;
  disabledBy: DisabledBy | null;
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Filters of {@link ScheduleQueries.list}. */
export interface ScheduleFilter {
  enabled?: boolean;
  workflow?: string;
  queue?: string;
}

interface Row {
  name: string;
  workflow: string;
  cron: string;
  timezone: string;
  input: string | null;
  queue: string;
  enabled: boolean;
  catch_up: CatchUp;
  overlap: Overlap;
  declared: boolean;
  next_run_at: Date | null;
  wake_at: Date | null;
  last_run_at: Date | null;
  last_error: ErrorInfo | null;
  consecutive_failures: number;
  disabled_by: DisabledBy | null;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `name, workflow, cron, timezone, input::text AS input, queue, enabled, catch_up,
  overlap, declared, next_run_at, wake_at, last_run_at, last_error, consecutive_failures,
  disabled_by, disabled_reason, created_at, updated_at`;

const toRecord = (r: Row): ScheduleRecord => ({
  name: r.name,
  workflow: r.workflow,
  cron: r.cron,
  timezone: r.timezone,
  input: r.input,
  queue: r.queue,
  enabled: r.enabled,
  catchUp: r.catch_up,
  overlap: r.overlap,
  declared: r.declared,
  nextRunAt: r.next_run_at,
  wakeAt: r.wake_at,
  lastRunAt: r.last_run_at,
  lastError: r.last_error,
  consecutiveFailures: r.consecutive_failures,
  disabledBy: r.disabled_by,
  disabledReason: r.disabled_reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Parameters $1..$18 of a full row, in {@link WRITE_COLUMNS} order. */
const params = (s: ScheduleRecord): unknown[] => [
  s.name,
  s.workflow,
  s.cron,
  s.timezone,
  s.input,
  s.queue,
  s.enabled,
  s.catchUp,
  s.overlap,
  s.declared,
  s.nextRunAt,
  s.wakeAt,
  s.lastRunAt,
  s.lastError === null ? null : JSON.stringify(s.lastError),
  s.consecutiveFailures,
  s.disabledBy,
  s.disabledReason,
  s.updatedAt,
];

/** Notification payloads of schedules on a prefix's channel. */
export const ScheduleNotice = {
  /** A schedule changed: schedulers should look again at `at` (epoch ms). */
  wake: (at: number) => `sched:${at}`,
  /** A schedule started an execution (for `schedule.fired` in other processes). */
  fired: (origin: string, schedule: string, workflow: string, fireAt: number | null, id: string) =>
    `fired:${origin}:${schedule}:${workflow}:${fireAt ?? ""}:${id}`,
} as const;

/** Queries of schedules. Methods taking `db` run in the caller's transaction. */
export class ScheduleQueries extends StoreBase {
  /** Runs `fn` in one transaction. */
  transaction<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    return this.driver.transaction(fn);
  }

  /** Reads a schedule by name, or null. */
  async get(name: string, db: Queryable = this.driver): Promise<ScheduleRecord | null> {
    const { rows } = await db.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.t("schedules")} WHERE name = $1`,
      [name],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Reads a schedule and locks it until the transaction ends. */
  async lock(db: Queryable, name: string): Promise<ScheduleRecord | null> {
    const { rows } = await db.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.t("schedules")} WHERE name = $1 FOR UPDATE`,
      [name],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Schedules matching the filters, by name. */
  async list(f: ScheduleFilter, limit: number, offset: number): Promise<ScheduleRecord[]> {
    const conds: string[] = [];
    const values: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      values.push(value);
      conds.push(`${sql} $${values.length}`);
    };
    if (f.enabled !== undefined) add("enabled =", f.enabled);
    if (f.workflow !== undefined) add("workflow =", f.workflow);
    if (f.queue !== undefined) add("queue =", f.queue);
    values.push(limit, offset);
    const where = conds.length ? `WHERE ${conds.join(" AND ")}` : "";
    const { rows } = await this.driver.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.t("schedules")} ${where} ORDER BY name
       LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return rows.map(toRecord);
  }

  /** Inserts a new schedule; null when the name is taken. Wakes the schedulers. */
  async create(db: Queryable, s: ScheduleRecord): Promise<ScheduleRecord | null> {
    const { rows } = await db.query<Row>(
      `WITH ins AS (
         INSERT INTO ${this.t("schedules")} (name, workflow, cron, timezone, input, queue, enabled,
           catch_up, overlap, declared, next_run_at, wake_at, last_run_at, last_error,
           consecutive_failures, disabled_by, disabled_reason, updated_at, created_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15,
           $16, $17, $18, $18)
         ON CONFLICT (name) DO NOTHING
         RETURNING ${COLUMNS})
       SELECT ins.*, ${this.wakeNotice("ins")} FROM ins`,
      [...params(s), this.channel],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Writes every mutable column of an existing schedule. Wakes the schedulers. */
  async save(db: Queryable, s: ScheduleRecord): Promise<ScheduleRecord> {
    const { rows } = await db.query<Row>(
      `WITH u AS (
         UPDATE ${this.t("schedules")} SET workflow = $2, cron = $3, timezone = $4,
           input = $5::jsonb, queue = $6, enabled = $7, catch_up = $8, overlap = $9,
           declared = $10, next_run_at = $11, wake_at = $12, last_run_at = $13,
           last_error = $14::jsonb, consecutive_failures = $15, disabled_by = $16,
           disabled_reason = $17, updated_at = $18
         WHERE name = $1
         RETURNING ${COLUMNS})
       SELECT u.*, ${this.wakeNotice("u")} FROM u`,
      [...params(s), this.channel],
    );
    if (!rows[0]) throw new Error(`schedule "${s.name}" vanished while locked`);
    return toRecord(rows[0]);
  }

  /** `pg_notify` of the wake-up notice for the row alias `t`; the channel is the last param. */
  private wakeNotice(t: string): string {
    return `CASE WHEN ${t}.wake_at IS NOT NULL THEN pg_notify($19, 'sched:' ||
      (extract(epoch FROM ${t}.wake_at) * 1000)::bigint) END AS n`;
  }

  /** Deletes a schedule; false when there was none. */
  async remove(name: string): Promise<boolean> {
    const { rows } = await this.driver.query(
      `DELETE FROM ${this.t("schedules")} WHERE name = $1 RETURNING name`,
      [name],
    );
    return rows.length > 0;
  }

  /** Serializes the registration of declared schedules across engines (until commit). */
  async lockDeclarations(db: Queryable): Promise<void> {
    await db.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
      `durable.schedules.${this.prefix}`,
    ]);
  }

  /**
   * Disables the enabled declared schedules of `workflow` whose names are not in `keep`
   * (their declaration was removed from the code). Returns their names.
   */
  async disableRemoved(
    db: Queryable,
    workflow: string,
    keep: string[],
    reason: string,
    now: Date,
  ): Promise<string[]> {
    const { rows } = await db.query<{ name: string }>(
      `UPDATE ${this.t("schedules")} SET enabled = false, next_run_at = NULL, wake_at = NULL,
         disabled_by = 'code', disabled_reason = $3, updated_at = $4
       WHERE workflow = $1 AND declared AND enabled AND NOT (name = ANY($2::text[]))
       RETURNING name`,
      [workflow, keep, reason, now],
    );
    return rows.map((r) => r.name);
  }

  /**
   * Claims one due enabled schedule of one of `workflows` (`FOR UPDATE SKIP LOCKED`: a
   * schedule another engine is firing is skipped), or null.
   */
  async claimDue(db: Queryable, now: Date, workflows: string[]): Promise<ScheduleRecord | null> {
    const { rows } = await db.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.t("schedules")}
       WHERE enabled AND wake_at <= $1 AND workflow = ANY($2::text[])
       ORDER BY wake_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [now, workflows],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** The earliest time an enabled schedule of one of `workflows` needs a look, or null. */
  async nextWake(workflows: string[]): Promise<Date | null> {
    const { rows } = await this.driver.query<{ at: Date | null }>(
      `SELECT min(wake_at) AS at FROM ${this.t("schedules")}
       WHERE enabled AND workflow = ANY($1::text[])`,
      [workflows],
    );
    return rows[0]?.at ?? null;
  }

  /** Whether the schedule has an execution that is pending, running, waiting or compensating. */
  async hasActive(db: Queryable, name: string): Promise<boolean> {
    const { rows } = await db.query(
      `SELECT 1 FROM ${this.t("executions")} WHERE schedule_name = $1
         AND status IN ('pending', 'running', 'waiting', 'compensating') LIMIT 1`,
      [name],
    );
    return rows.length > 0;
  }

  /**
   * Inserts an execution started by a schedule, due now, unless one already exists for
   * the same schedule and fire time (the unique index): returns its id, or null when it
   * existed. Wakes the workers of its queue and tells other engines it was fired.
   */
  async insertExecution(db: Queryable, e: NewExecution, origin: string): Promise<string | null> {
    const fired = ScheduleNotice.fired(
      origin,
      e.scheduleName ?? "",
      e.workflow,
      e.scheduleFireAt?.getTime() ?? null,
      e.id,
    );
    const id = await insertExecutionRow(db, this.t("executions"), e);
    // Inside the firing transaction: delivered when it commits, with the execution.
    if (id !== null)
      await db.query("SELECT pg_notify($1, $2), pg_notify($1, $3)", [
        this.channel,
        Notice.work(e.queue),
        fired,
      ]);
    return id;
  }
}
