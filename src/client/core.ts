/**
 * The engine object's core: options, database, registry, notifications, worker and
 * lifecycle. The client API is layered on top of it (queries, control), one file each.
 * @module
 */
import { hostname } from "node:os";
import { InvalidStateError, NotFoundError, ValidationError } from "../core/errors.js";
import type { AnyWorkflow } from "../dsl/builder-types.js";
import type { WorkflowDefinition } from "../dsl/nodes.js";
import { isWorkflow } from "../dsl/workflow.js";
import {
  LifecycleEmitter,
  type LifecycleEventName,
  type LifecycleListener,
} from "../runtime/events.js";
import { installConsoleCapture, resolveCapture } from "../runtime/logs.js";
import { Worker } from "../runtime/worker.js";
import { Scheduler } from "../runtime/scheduler.js";
import { ExecutionQueries, WaitQueries, WorkerQueries, type Driver } from "../store/index.js";
import { ScheduleQueries } from "../store/schedule-queries.js";
import type { ResolvedOptions } from "./options.js";
import { ResultWaiters } from "./result-waiters.js";

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

/** The engine's state and lifecycle; see {@link Durable} for the API. */
export class DurableCore {
  protected readonly events: LifecycleEmitter;
  protected readonly executions: ExecutionQueries;
  protected readonly registry = new Map<string, WorkflowDefinition>();
  protected readonly worker: Worker | null;
  protected readonly scheduler: Scheduler;
  protected readonly waiters = new ResultWaiters();
  protected readonly origin = Math.random().toString(36).slice(2, 10);
  protected unlisten: (() => Promise<void>) | null = null;
  protected closed: Promise<void> | null = null;

  /** @internal Use {@link createDurable}. */
  constructor(
    protected readonly options: ResolvedOptions,
    protected readonly driver: Driver,
  ) {
    this.events = new LifecycleEmitter(options.logger);
    this.executions = new ExecutionQueries(driver, options.prefix);
    for (const w of options.workflows) this.registry.set(w.name, w.definition);
    this.worker = options.queueEnabled
      ? new Worker({
          store: new WorkerQueries(driver, options.prefix),
          waitStore: new WaitQueries(driver, options.prefix),
          executionStore: this.executions,
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
    this.scheduler = new Scheduler({
      store: new ScheduleQueries(driver, options.prefix),
      workflows: this.registry,
      clock: options.clock,
      logger: options.logger,
      events: this.events,
      origin: this.origin,
      engine: options.name,
      interval: options.schedulerInterval,
      newId: options.idGenerator,
    });
  }

  /** Subscribes to notifications and starts the worker. Called by {@link createDurable}. @internal */
  async open(): Promise<void> {
    await this.scheduler.declare();
    this.unlisten = await this.driver.listen(this.executions.channel, (p) => this.onNotice(p));
    if (this.worker) {
      installConsoleCapture();
      this.worker.start();
    }
    if (this.worker) this.scheduler.start();
  }

  private onNotice(payload: string): void {
    this.worker?.onNotice(payload);
    this.scheduler.onNotice(payload);
    if (!payload.startsWith("d:")) return;
    const [, status, origin, workflow, ...rest] = payload.split(":");
    const id = rest.join(":");
    this.waiters.notify(id);
    if (origin !== this.origin && status && workflow) {
      const type =
        `workflow.${status === "compensation_failed" ? "compensated" : status}` as LifecycleEventName;
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

  protected now(): number {
    return this.options.clock.now();
  }

  protected definitionOf(workflow: AnyWorkflow | string): WorkflowDefinition {
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
      await this.scheduler.close();
      await this.worker?.close(this.options.shutdownTimeout);
      this.waiters.closeAll();
      await this.unlisten?.().catch(() => undefined);
      await this.driver.close();
    })();
    return this.closed;
  }

  protected assertOpen(): void {
    if (this.closed) throw new InvalidStateError("This Durable engine is closed");
  }
}
