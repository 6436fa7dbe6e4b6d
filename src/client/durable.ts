/**
 * `createDurable()` and the engine object: the client API (spec 3) over the store,
 * plus the worker that runs executions (spec 2).
 * @module
 */
import { hostname } from "node:os";
import {
  CancelledError,
  ConfigError,
  InvalidStateError,
  NotFoundError,
  TimeoutError,
  ValidationError,
  WorkflowFailedError,
} from "../core/errors.js";
import { encodeJson } from "../core/serialize.js";
import {
  isTerminal,
  TERMINAL_STATUSES,
  type Execution,
  type ExecutionStatus,
  type StepExecution,
} from "../core/types.js";
import type { AnyWorkflow, InputOf, OutputOf } from "../dsl/builder-types.js";
import type { WorkflowDefinition } from "../dsl/nodes.js";
import { validateInput } from "../dsl/validate.js";
import { isWorkflow } from "../dsl/workflow.js";
import { renderGraph, type GraphFormat, type GraphJson } from "../engine/graph.js";
import {
  LifecycleEmitter,
  type LifecycleEventName,
  type LifecycleListener,
} from "../runtime/events.js";
import { installConsoleCapture, resolveCapture } from "../runtime/logs.js";
import { Worker } from "../runtime/worker.js";
import {
  ExecutionQueries,
  migrateUp,
  migrationStatus,
  openDriver,
  WorkerQueries,
  type Driver,
  type ExecutionFilter,
} from "../store/index.js";
import { resolveOptions, type DurableOptions, type ResolvedOptions } from "./options.js";
import { checkStartOptions, type StartOptions } from "./start-options.js";
import { ResultWaiters } from "./result-waiters.js";

/** Options of `getExecution`. */
export interface GetExecutionOptions {
  /** Include every step record, in execution order. */
  includeSteps?: boolean;
  /** Include each step record's captured logs (implies `includeSteps`). */
  includeLogs?: boolean;
}

/** Filters of `listExecutions` and `countExecutions`. */
export interface ListExecutionsOptions extends ExecutionFilter {
  /** At most this many (default 50, at most 1000). */
  limit?: number;
  offset?: number;
}

/** Options of `cleanup`. */
export interface CleanupOptions {
  /** Delete executions that ended before this Date, or this many ms before now. */
  olderThan: Date | number;
  /** Only these terminal statuses (default: all terminal statuses). */
  status?: ExecutionStatus | ExecutionStatus[];
  /** Count what would be deleted, delete nothing. */
  dryRun?: boolean;
}

const EVENT_NAMES = new Set<string>([
  "workflow.started",
  "workflow.resumed",
  "workflow.waiting",
  "workflow.completed",
  "workflow.failed",
  "workflow.cancelled",
  "workflow.compensated",
  "step.started",
  "step.completed",
  "step.failed",
  "step.waiting",
  "input.requested",
  "input.provided",
  "schedule.fired",
  "*",
]);

/** A Durable engine: a client of the database and, unless `queueEnabled` is false, a worker. */
export class Durable {
  private readonly events: LifecycleEmitter;
  private readonly executions: ExecutionQueries;
  private readonly registry = new Map<string, WorkflowDefinition>();
  private readonly worker: Worker | null;
  private readonly waiters = new ResultWaiters();
  private readonly origin = Math.random().toString(36).slice(2, 10);
  private unlisten: (() => Promise<void>) | null = null;
  private closed: Promise<void> | null = null;

  /** @internal Use {@link createDurable}. */
  constructor(
    private readonly options: ResolvedOptions,
    private readonly driver: Driver,
  ) {
    this.events = new LifecycleEmitter(options.logger);
    this.executions = new ExecutionQueries(driver, options.prefix);
    for (const w of options.workflows) this.registry.set(w.name, w.definition);
    this.worker = options.queueEnabled
      ? new Worker({
          store: new WorkerQueries(driver, options.prefix),
          workflows: this.registry,
          queues: options.queues,
          owner: `${options.name}@${hostname()}:${process.pid}:${this.origin}`,
          origin: this.origin,
          clock: options.clock,
          logger: options.logger,
          events: this.events,
          capture: resolveCapture(options.captureLogs),
          staleLockTimeout: options.staleLockTimeout,
          heartbeatInterval: options.heartbeatInterval,
          random: Math.random,
        })
      : null;
  }

  /** Subscribes to notifications and starts the worker. Called by {@link createDurable}. @internal */
  async open(): Promise<void> {
    this.unlisten = await this.driver.listen(this.executions.channel, (p) => this.onNotice(p));
    if (this.worker) {
      installConsoleCapture();
      this.worker.start();
    }
  }

  private onNotice(payload: string): void {
    this.worker?.onNotice(payload);
    if (!payload.startsWith("d:")) return;
    const [, status, origin, workflow, ...rest] = payload.split(":");
    const id = rest.join(":");
    this.waiters.notify(id);
    if (origin !== this.origin && status && workflow) {
      const type = `workflow.${status}` as LifecycleEventName;
      if (EVENT_NAMES.has(type) && this.events.has(type))
        this.events.emit({
          type,
          executionId: id,
          workflow,
          at: new Date(this.now()),
          remote: true,
        });
    }
  }

  private now(): number {
    return this.options.clock.now();
  }

  private definitionOf(workflow: AnyWorkflow | string): WorkflowDefinition {
    if (isWorkflow(workflow)) return workflow.definition;
    if (typeof workflow === "string") {
      const def = this.registry.get(workflow);
      if (!def)
        throw new NotFoundError(
          `Unknown workflow "${workflow}": register it in createDurable({ workflows }) or pass the workflow object`,
        );
      return def;
    }
    throw new ValidationError(
      "workflow must be a workflow definition or a registered workflow name",
    );
  }

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
    const { id } = await this.executions.insert({
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

  /** Reads an execution, or null when the id is unknown. */
  async getExecution(id: string, options: GetExecutionOptions = {}): Promise<Execution | null> {
    this.assertOpen();
    const exec = await this.executions.get(String(id));
    if (exec && (options.includeSteps || options.includeLogs))
      exec.steps = await this.executions.steps(exec.id, options.includeLogs === true);
    return exec;
  }

  /** Lists executions, newest first. */
  async listExecutions(options: ListExecutionsOptions = {}): Promise<Execution[]> {
    this.assertOpen();
    const { limit = 50, offset = 0, ...filter } = options;
    checkPage(limit, offset);
    return this.executions.list(filter, limit, offset);
  }

  /** Counts executions matching the filters. */
  async countExecutions(filter: ExecutionFilter = {}): Promise<number> {
    this.assertOpen();
    return this.executions.count(filter);
  }

  /** Child executions of a parent, oldest first. */
  async listChildren(
    parentId: string,
    options: { status?: ExecutionStatus | ExecutionStatus[] } = {},
  ): Promise<Execution[]> {
    this.assertOpen();
    return this.executions.list({ parentId, status: options.status }, 1000, 0, "oldest");
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
      this.events.emit({
        type: "workflow.cancelled",
        executionId: id,
        workflow: out.row.workflow,
        at: new Date(this.now()),
        error: out.row.error,
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

  /**
   * Draws a workflow as JSON, Mermaid or Graphviz DOT (spec 8); with `executionId`,
   * every node carries that execution's state (status, attempts, duration).
   */
  async graph(
    workflow: AnyWorkflow | string,
    options: { format?: GraphFormat; executionId?: string } = {},
  ): Promise<GraphJson | string> {
    this.assertOpen();
    const def = this.definitionOf(workflow);
    const format = options.format ?? "json";
    if (!["json", "mermaid", "dot"].includes(format))
      throw new ValidationError(
        `graph format must be "json", "mermaid" or "dot" (got ${JSON.stringify(format)})`,
      );
    let steps: StepExecution[] | undefined;
    if (options.executionId !== undefined) {
      const exec = await this.executions.get(String(options.executionId));
      if (!exec) throw new NotFoundError(`No execution with id "${options.executionId}"`);
      if (exec.workflow !== def.name)
        throw new ValidationError(
          `Execution ${exec.id} is of workflow "${exec.workflow}", not "${def.name}"`,
        );
      steps = await this.executions.steps(exec.id, false);
    }
    return renderGraph(def, format, steps);
  }

  /** Subscribes to a lifecycle event (or `"*"` for all). Returns the unsubscribe function. */
  on(event: LifecycleEventName | "*", listener: LifecycleListener): () => void {
    if (!EVENT_NAMES.has(event)) throw new ValidationError(`Unknown lifecycle event "${event}"`);
    if (typeof listener !== "function") throw new ValidationError("listener must be a function");
    return this.events.on(event, listener);
  }

  /**
   * Stops gracefully: claims nothing more, lets running steps finish (up to
   * `shutdownTimeout`), releases the rest to other processes, and closes what the
   * engine opened itself. Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.worker?.close(this.options.shutdownTimeout);
      this.waiters.closeAll();
      await this.unlisten?.().catch(() => undefined);
      await this.driver.close();
    })();
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidStateError("This Durable engine is closed");
  }
}

function checkPage(limit: unknown, offset: unknown): void {
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 1000)
    throw new ValidationError("limit must be an integer from 1 to 1000");
  if (!Number.isInteger(offset) || (offset as number) < 0)
    throw new ValidationError("offset must be an integer >= 0");
}

/**
 * Creates and starts an engine: validates the options, opens the database, applies
 * migrations (unless `migrate: false`), and starts working on the configured queues.
 *
 * @example
 * const durable = await createDurable({ database: process.env.DATABASE_URL, workflows: [order] });
 * const id = await durable.start(order, { id: "o-1" });
 * console.log(await durable.result(id));
 * await durable.close();
 */
export async function createDurable(options?: DurableOptions): Promise<Durable> {
  const resolved = resolveOptions(options);
  const driver = await openDriver(resolved.database, {
    poolSize: resolved.poolSize,
    logger: resolved.logger,
  });
  try {
    if (resolved.migrate) await migrateUp(driver, resolved.prefix);
    else {
      const status = await migrationStatus(driver, resolved.prefix);
      if (status.pending.length)
        throw new ConfigError(
          `schema "${resolved.prefix}" is behind: pending migrations ${status.pending.join(", ")} (run migrate.up or start with migrate: true)`,
        );
    }
    const durable = new Durable(resolved, driver);
    await durable.open();
    return durable;
  } catch (err) {
    await driver.close().catch(() => undefined);
    throw err;
  }
}
