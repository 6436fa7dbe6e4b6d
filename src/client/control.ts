/**
 * Changing executions: start, result, cancel, retry, cleanup.
 * @module
 */
import {
  CancelledError,
  InvalidStateError,
  NotFoundError,
  TimeoutError,
  ValidationError,
  WorkflowFailedError,
} from "../core/errors.js";
import { encodeJson } from "../core/serialize.js";
import { isTerminal, TERMINAL_STATUSES, type ExecutionStatus } from "../core/types.js";
import type { AnyWorkflow, InputOf, OutputOf } from "../dsl/builder-types.js";
import { validateInput } from "../dsl/validate.js";
import { DurableQueries } from "./queries.js";
import { checkStartOptions, type StartOptions } from "./start-options.js";

/** Options of `cleanup`. */
export interface CleanupOptions {
  /** Delete executions that ended before this Date, or this many ms before now. */
  olderThan: Date | number;
  /** Only these terminal statuses (default: all terminal statuses). */
  status?: ExecutionStatus | ExecutionStatus[];
  /** Count what would be deleted, delete nothing. */
  dryRun?: boolean;
}

/** Control methods of the engine object. */
export class DurableControl extends DurableQueries {
  /**
   * Starts an execution. Resolves to its id once it is stored. A second start with the
   * same `idempotencyKey` (or `id`) returns the first execution's id.
   */
  async start<W extends AnyWorkflow>(
    workflow: W | string,
    input?: InputOf<W>,
    options?: StartOptions,
  ): Promise<string> {
    this.assertOpen();
    const def = this.definitionOf(workflow);
    const opts = checkStartOptions(options);
    const value = await validateInput(def, input);
    const encoded = encodeJson(value, `input of workflow "${def.name}"`);
    const now = this.now();
    const runAt =
      opts.scheduledAt && opts.scheduledAt.getTime() > now ? opts.scheduledAt : new Date(now);
    const id = await this.executions.insert({
      id: opts.id ?? this.options.idGenerator(),
      workflow: def.name,
      queue: opts.queue ?? def.options.queue ?? "default",
      priority: opts.priority ?? def.options.priority ?? 0,
      input: encoded,
      idempotencyKey: opts.idempotencyKey ?? null,
      scheduledAt: opts.scheduledAt ?? null,
      runAt,
      now: new Date(now),
    });
    return id;
  }

  /**
   * Waits for an execution to end and resolves to its output. Rejects with
   * `WorkflowFailedError`, `CancelledError`, `NotFoundError`, or `TimeoutError` when
   * `timeout` ms pass first (the execution goes on).
   */
  async result<W extends AnyWorkflow = AnyWorkflow>(
    id: string,
    options: { timeout?: number } = {},
  ): Promise<OutputOf<W>> {
    this.assertOpen();
    const deadline = options.timeout === undefined ? Infinity : Date.now() + options.timeout;
    for (;;) {
      const signal = this.waiters.arm(id);
      const exec = await this.executions.get(id);
      if (!exec) {
        signal.cancel();
        throw new NotFoundError(`No execution with id "${id}"`);
      }
      if (isTerminal(exec.status)) {
        signal.cancel();
        if (exec.status === "completed") return exec.output;
        if (exec.status === "cancelled")
          throw new CancelledError(id, exec.error?.message ?? "cancelled");
        throw new WorkflowFailedError(id, exec.status, exec.error);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        signal.cancel();
        throw new TimeoutError(
          `Execution ${id} did not end within ${options.timeout} ms (status ${exec.status})`,
        );
      }
      await signal.wait(Math.min(left, 1000));
    }
  }

  /**
   * Cancels an active execution: `cancelled` at once and for good; its running step's
   * `ctx.signal` aborts and any late result of it is discarded.
   */
  async cancel(
    id: string,
    reason?: string | { reason?: string; compensate?: boolean },
  ): Promise<void> {
    this.assertOpen();
    const opts = typeof reason === "string" || reason === undefined ? { reason } : reason;
    const text = opts.reason ?? "cancelled";
    const out = await this.executions.cancel(
      String(id),
      { type: "cancelled", message: text },
      new Date(this.now()),
      this.origin,
      opts.compensate === true,
    );
    if (!out.ok) {
      if (!out.current) throw new NotFoundError(`No execution with id "${id}"`);
      const why =
        out.current.status === "compensating"
          ? "it is compensating, and a compensation chain is left to finish"
          : "it has already ended";
      throw new InvalidStateError(
        `Cannot cancel execution ${id} (status ${out.current.status}): ${why}`,
      );
    }
    if (this.events.has("workflow.cancelled"))
      for (const row of [out.row, ...(out.cascaded ?? [])])
        this.events.emit({
          type: "workflow.cancelled",
          executionId: row.id,
          workflow: row.workflow,
          at: new Date(this.now()),
          error: row.error,
        });
  }

  /** Resumes a `failed` execution from the node that failed, with fresh attempts. */
  async retry(id: string): Promise<void> {
    this.assertOpen();
    const out = await this.executions.retry(String(id), new Date(this.now()));
    if (!out.ok) {
      if (!out.current) throw new NotFoundError(`No execution with id "${id}"`);
      throw new InvalidStateError(
        `Cannot retry execution ${id}: only failed executions can be retried (status ${out.current.status})`,
      );
    }
  }

  /** Deletes terminal executions (and all their records) that ended before `olderThan`. */
  async cleanup(options: CleanupOptions): Promise<number> {
    this.assertOpen();
    const { olderThan, dryRun = false } = options ?? ({} as CleanupOptions);
    let before: Date;
    if (olderThan instanceof Date && !Number.isNaN(olderThan.getTime())) before = olderThan;
    else if (typeof olderThan === "number" && olderThan >= 0)
      before = new Date(this.now() - olderThan);
    else throw new ValidationError("cleanup: olderThan must be a Date or a number of ms (>= 0)");
    const statuses =
      options.status === undefined ? [...TERMINAL_STATUSES] : [options.status].flat();
    const bad = statuses.filter((s) => !TERMINAL_STATUSES.includes(s));
    if (bad.length)
      throw new ValidationError(
        `cleanup only deletes terminal executions; not terminal: ${bad.join(", ")}`,
      );
    return this.executions.cleanup(before, statuses, dryRun);
  }
}
