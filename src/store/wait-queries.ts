/**
 * Waits of running steps (sleep, events, human input, child workflows), fenced by the
 * lease token like every worker write, and the signals that resolve them from outside
 * (`sendEvent`, `provideInput`).
 * @module
 */
import type { ExecutionStatus } from "../core/types.js";
import { StoreBase } from "./store-base.js";

/** Kind of a wait. */
export type WaitKind = "sleep" | "event" | "any" | "all" | "input" | "child";

/** A row of `waits`. */
export interface WaitRow {
  id: number;
  execution_id: string;
  step_path: (string | number)[];
  step_name: string;
  seq: number;
  kind: WaitKind;
  name: string;
  names: string[] | null;
  status: "pending" | "completed" | "timeout" | "cancelled";
  result: unknown;
  request: Record<string, unknown> | null;
  child_id: string | null;
  wake_at: Date | null;
  timeout_at: Date | null;
  created_at: Date;
  completed_at: Date | null;
}

/** A wait to open (or find, when the step already reached it before). */
export interface NewWait {
  stepPath: string;
  stepName: string;
  seq: number;
  kind: WaitKind;
  name: string;
  names?: string[] | null;
  request?: string | null;
  childId?: string | null;
  wakeAt?: Date | null;
  timeoutAt?: Date | null;
  now: Date;
}

const WAIT_COLUMNS = `id::float8 AS id, execution_id, step_path, step_name, seq, kind, name, names,
  status, result, request, child_id, wake_at, timeout_at, created_at, completed_at`;

/** Wait queries. */
export class WaitQueries extends StoreBase {
  private fence(): string {
    return `EXISTS (SELECT 1 FROM ${this.t("executions")} WHERE id = $1 AND lease_token = $2)`;
  }

  /**
   * Opens the wait at (step, seq), or returns the one recorded there before. Null when
   * the lease is gone.
   */
  async open(
    id: string,
    token: number,
    w: NewWait,
  ): Promise<(WaitRow & { inserted: boolean }) | null> {
    const { rows } = await this.driver.query<WaitRow & { inserted: boolean }>(
      `INSERT INTO ${this.t("waits")} (execution_id, step_path, step_name, seq, kind, name, names,
         status, request, child_id, wake_at, timeout_at, created_at)
       SELECT $1, $3::jsonb, $4, $5, $6, $7, $8::jsonb, 'pending', $9::jsonb, $10, $11, $12, $13
       WHERE ${this.fence()}
       ON CONFLICT (execution_id, step_path, seq) DO UPDATE SET seq = EXCLUDED.seq
       RETURNING ${WAIT_COLUMNS}, (xmax = 0) AS inserted`,
      [
        id,
        token,
        w.stepPath,
        w.stepName,
        w.seq,
        w.kind,
        w.name,
        w.names ? JSON.stringify(w.names) : null,
        w.request ?? null,
        w.childId ?? null,
        w.wakeAt ?? null,
        w.timeoutAt ?? null,
        w.now,
      ],
    );
    return rows[0] ?? null;
  }

  /** Ends a wait (completed with a result, timed out). False when the lease is gone. */
  async settle(
    id: string,
    token: number,
    waitId: number,
    status: "completed" | "timeout",
    result: string | null,
    now: Date,
  ): Promise<boolean> {
    const { rows } = await this.driver.query(
      `UPDATE ${this.t("waits")} SET status = $4, result = $5::jsonb, completed_at = $6
       WHERE id = $3 AND ${this.fence()} RETURNING id`,
      [id, token, waitId, status, result, now],
    );
    return rows.length > 0;
  }

  /**
   * Takes the oldest pending event among `names` (not already in the wait's result) out
   * of the inbox. With `into: "one"` it completes the wait with `{ event, payload }`;
   * with `"all"` it adds `{ [event]: payload }` to the wait's result. Returns the event
   * taken, or null when there is none (or the lease is gone).
   */
  async takeEvent(
    id: string,
    token: number,
    waitId: number,
    names: string[],
    into: "one" | "all",
    now: Date,
  ): Promise<{ name: string; payload: unknown; result: unknown } | null> {
    const result =
      into === "one"
        ? `jsonb_build_object('event', ev.name, 'payload', ev.payload)`
        : `coalesce(w.result, '{}'::jsonb) || jsonb_build_object(ev.name, ev.payload)`;
    const status = into === "one" ? `'completed'` : `w.status`;
    const { rows } = await this.driver.query<{ name: string; payload: unknown; result: unknown }>(
      `WITH ev AS (
         UPDATE ${this.t("events")} SET status = 'consumed', consumed_at = $6
         WHERE id = (
           SELECT id FROM ${this.t("events")}
           WHERE execution_id = $1 AND status = 'pending' AND name = ANY($4::text[])
             AND NOT (coalesce((SELECT result FROM ${this.t("waits")} WHERE id = $3), '{}'::jsonb) ? name AND $5 = 'all')
             AND ${this.fence()}
           ORDER BY id LIMIT 1)
         RETURNING name, payload),
       u AS (
         UPDATE ${this.t("waits")} w SET result = ${result}, status = ${status},
           completed_at = CASE WHEN ${status} = 'completed' THEN $6::timestamptz END
         FROM ev WHERE w.id = $3 RETURNING w.result)
       SELECT ev.name, ev.payload, u.result FROM ev, u`,
      [id, token, waitId, names, into, now],
    );
    return rows[0] ?? null;
  }

  /** Status, output and error of a child execution. */
  async child(
    childId: string,
  ): Promise<{ status: ExecutionStatus; output: unknown; error: unknown } | null> {
    const { rows } = await this.driver.query<{
      status: ExecutionStatus;
      output: unknown;
      error: unknown;
    }>(`SELECT status, output, error FROM ${this.t("executions")} WHERE id = $1`, [childId]);
    return rows[0] ?? null;
  }

  /**
   * Delivers an event: into the inbox, and wakes the execution (a waiting one becomes
   * due now; a running one will not go to sleep on it: its signal counter moved).
   * Resolves to the execution's status, or null when it is unknown. Terminal
   * executions get nothing.
   */
  async sendEvent(
    id: string,
    name: string,
    payload: string,
    now: Date,
    terminal: readonly string[],
  ): Promise<{ delivered: boolean; status: ExecutionStatus } | null> {
    const { rows } = await this.driver.query<{ delivered: boolean; status: ExecutionStatus }>(
      `WITH e AS (
         UPDATE ${this.t("executions")} SET signal_seq = signal_seq + 1,
           run_at = CASE WHEN status = 'waiting' THEN $4::timestamptz ELSE run_at END
         WHERE id = $1 AND NOT (status = ANY($5::text[]))
         RETURNING id, queue, status),
       ins AS (
         INSERT INTO ${this.t("events")} (execution_id, name, payload, status, created_at)
         SELECT id, $2, $3::jsonb, 'pending', $4 FROM e RETURNING id)
       SELECT true AS delivered, e.status, pg_notify($6, 'w:' || e.queue) AS n FROM e
       UNION ALL
       SELECT false, status, NULL FROM ${this.t("executions")}
       WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM e)`,
      [id, name, payload, now, terminal, this.channel],
    );
    return rows[0] ?? null;
  }

  /** The pending input request of that name, with the execution's status (null: unknown id). */
  async pendingInput(
    id: string,
    name: string,
  ): Promise<{ status: ExecutionStatus; wait: WaitRow | null } | null> {
    const { rows } = await this.driver.query<{ status: ExecutionStatus; wait: WaitRow | null }>(
      `SELECT e.status, (SELECT to_jsonb(w) FROM (SELECT ${WAIT_COLUMNS} FROM ${this.t("waits")}
           WHERE execution_id = e.id AND kind = 'input' AND name = $2 AND status = 'pending'
           ORDER BY id LIMIT 1) w) AS wait
       FROM ${this.t("executions")} e WHERE e.id = $1`,
      [id, name],
    );
    return rows[0] ?? null;
  }

  /**
   * Answers a pending input request once: only the first of concurrent callers wins
   * (the row is updated only while still pending). Wakes the execution.
   */
  async answerInput(waitId: number, response: string, now: Date): Promise<boolean> {
    const { rows } = await this.driver.query(
      `WITH w AS (
         UPDATE ${this.t("waits")} SET status = 'completed', result = $2::jsonb, completed_at = $3
         WHERE id = $1 AND status = 'pending' RETURNING execution_id),
       e AS (
         UPDATE ${this.t("executions")} SET signal_seq = signal_seq + 1,
           run_at = CASE WHEN status = 'waiting' THEN $3::timestamptz ELSE run_at END
         WHERE id = (SELECT execution_id FROM w) RETURNING queue)
       SELECT pg_notify($4, 'w:' || e.queue) AS n FROM e`,
      [waitId, response, now, this.channel],
    );
    return rows.length > 0;
  }

  /** Waits for listing (inputs or events), newest first. */
  async list(filter: {
    kinds: WaitKind[];
    workflowId?: string;
    status?: string[];
    name?: string;
    timeoutBefore?: Date;
    limit: number;
  }): Promise<WaitRow[]> {
    const params: unknown[] = [filter.kinds];
    const conds = ["kind = ANY($1::text[])"];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      conds.push(sql.replace("?", `$${params.length}`));
    };
    if (filter.workflowId !== undefined) add("execution_id = ?", filter.workflowId);
    if (filter.status !== undefined) add("status = ANY(?::text[])", filter.status);
    if (filter.name !== undefined) {
      params.push(filter.name);
      const p = `$${params.length}`;
      conds.push(`(name = ${p} OR coalesce(names, '[]'::jsonb) ? ${p})`);
    }
    if (filter.timeoutBefore !== undefined) add("timeout_at < ?", filter.timeoutBefore);
    params.push(filter.limit);
    const { rows } = await this.driver.query<WaitRow>(
      `SELECT ${WAIT_COLUMNS} FROM ${this.t("waits")} WHERE ${conds.join(" AND ")}
       ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows;
  }
}
