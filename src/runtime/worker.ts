/**
 * The worker side of an engine: per-queue claim loops with bounded concurrency,
 * wake-ups by NOTIFY (polling as the fallback), a single timer for the next known
 * due time, heartbeats that renew leases, and a graceful close.
 * @module
 */
import type { Clock, Logger } from "../core/types.js";
import type { WorkflowDefinition } from "../dsl/nodes.js";
import type { WorkerQueries } from "../store/worker-queries.js";
import type { WaitQueries } from "../store/wait-queries.js";
import type { ExecutionQueries } from "../store/execution-queries.js";
import type { LifecycleEmitter } from "./events.js";
import type { CaptureLogsOptions } from "./logs.js";
import { ExecutionRun, type RunnerDeps } from "./runner.js";

/** Settings of one queue. */
export interface QueueOptions {
  /** Executions run at once by this engine on this queue (default 10). */
  concurrency?: number;
  /** Fallback poll interval in ms (default 1000). */
  pollInterval?: number;
}

/** Everything a worker needs. */
export interface WorkerOptions {
  store: WorkerQueries;
  waitStore: WaitQueries;
  executionStore: ExecutionQueries;
  workflows: ReadonlyMap<string, WorkflowDefinition>;
  queues: Record<string, Required<QueueOptions>>;
  owner: string;
  origin: string;
  clock: Clock;
  logger: Logger;
  events: LifecycleEmitter;
  capture: Required<CaptureLogsOptions> | false;
  staleLockTimeout: number;
  heartbeatInterval: number;
  random: () => number;
}

/** One queue's claim loop. */
class QueueLoop {
  readonly running = new Map<string, { run: ExecutionRun; done: Promise<void> }>();
  private claiming = false;
  private again = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private dueTimer: NodeJS.Timeout | undefined;
  private dueAt = Infinity;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly options: Required<QueueOptions>,
    private readonly worker: Worker,
  ) {}

  start(): void {
    this.pollTimer = setInterval(() => {
      this.wake();
      this.refreshDue();
    }, this.options.pollInterval);
    this.pollTimer.unref();
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.dueTimer);
  }

  /** Keeps one timer, for the earliest due time this process knows of. */
  wakeAt(at: number): void {
    if (this.stopped || at >= this.dueAt) return;
    clearTimeout(this.dueTimer);
    this.dueAt = at;
    this.dueTimer = setTimeout(
      () => {
        this.dueAt = Infinity;
        this.wake();
        this.refreshDue();
      },
      Math.max(0, at - this.worker.options.clock.now()),
    );
    this.dueTimer.unref();
  }

  /**
   * Sets the one timer to the next due time in the database (a sleep, a retry, a wait
   * timeout, of this process or another): called when the timer fires and on each poll,
   * so the engine keeps one timer, not one per waiting execution.
   */
  private refreshDue(): void {
    const { store, clock, workflows, logger } = this.worker.options;
    store
      .nextDue(this.name, new Date(clock.now()), [...workflows.keys()])
      .then((at) => {
        if (at !== null) this.wakeAt(at.getTime());
      })
      .catch((err) => logger.warn(`next due time of queue ${this.name} unknown`, { err }));
  }

  /** Requests a claim pass; passes never overlap and requests made during one coalesce. */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    setImmediate(() => {
      this.pass()
        .catch((err) =>
          this.worker.options.logger.error(`claim on queue ${this.name} failed`, { err }),
        )
        .finally(() => {
          this.claiming = false;
          if (this.again) {
            this.again = false;
            this.wake();
          }
        });
    });
  }

  private async pass(): Promise<void> {
    const { store, clock, owner, staleLockTimeout, workflows } = this.worker.options;
    while (!this.stopped) {
      const free = this.options.concurrency - this.running.size;
      if (free <= 0) return;
      const now = clock.now();
      const rows = await store.claim(
        this.name,
        owner,
        new Date(now),
        new Date(now + staleLockTimeout),
        free,
        [...workflows.keys()],
      );
      for (const row of rows) {
        const def = workflows.get(row.workflow);
        if (!def) continue; // claims are filtered by registered names
        const run = new ExecutionRun(row, def, this.worker.runnerDeps(this));
        const done = run
          .run()
          .catch((err) =>
            this.worker.options.logger.error(`execution ${row.id} crashed the runner`, { err }),
          )
          .then(() => {
            this.running.delete(row.id);
            this.wake();
          });
        this.running.set(row.id, { run, done });
      }
      if (rows.length < free) return;
    }
  }
}

/** Runs the executions of the registered workflows on the configured queues. */
export class Worker {
  private readonly loops = new Map<string, QueueLoop>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(readonly options: WorkerOptions) {
    for (const [name, q] of Object.entries(options.queues))
      this.loops.set(name, new QueueLoop(name, q, this));
  }

  /** @internal */
  runnerDeps(loop: QueueLoop): RunnerDeps {
    const o = this.options;
    return {
      store: o.store,
      waitStore: o.waitStore,
      executionStore: o.executionStore,
      workflows: o.workflows,
      clock: o.clock,
      logger: o.logger,
      events: o.events,
      capture: o.capture,
      random: o.random,
      origin: o.origin,
      closing: () => this.closing,
      wakeAt: (at) => loop.wakeAt(at),
    };
  }

  start(): void {
    for (const loop of this.loops.values()) loop.start();
    this.heartbeatTimer = setInterval(() => {
      this.heartbeat().catch((err) => this.options.logger.warn("heartbeat failed", { err }));
    }, this.options.heartbeatInterval);
    this.heartbeatTimer.unref();
  }

  /** Claims on `queue` at `at` (epoch ms): a start scheduled for later by this process. */
  wakeAt(queue: string, at: number): void {
    this.loops.get(queue)?.wakeAt(at);
  }

  /** Handles a notification payload from the prefix's channel. */
  onNotice(payload: string): void {
    if (payload.startsWith("w:")) {
      const [queue = "", at] = payload.slice(2).split("@");
      if (at === undefined) this.loops.get(queue)?.wake();
      else this.loops.get(queue)?.wakeAt(Number(at));
    } else if (payload.startsWith("c:")) this.find(payload.slice(2))?.abort("cancelled");
  }

  private find(id: string): ExecutionRun | undefined {
    for (const loop of this.loops.values()) {
      const entry = loop.running.get(id);
      if (entry) return entry.run;
    }
    return undefined;
  }

  private async heartbeat(): Promise<void> {
    const held: { id: string; token: number }[] = [];
    const runs: ExecutionRun[] = [];
    for (const loop of this.loops.values())
      for (const { run } of loop.running.values()) {
        held.push({ id: run.id, token: run.token });
        runs.push(run);
      }
    if (held.length === 0) return;
    const now = this.options.clock.now();
    const kept = await this.options.store.heartbeat(
      this.options.owner,
      held,
      new Date(now + this.options.staleLockTimeout),
    );
    for (const run of runs)
      if (!kept.has(run.id)) run.abort(run.stop.aborted ? run.stopReason() : "lease_lost");
  }

  /**
   * Stops claiming, lets running steps finish (up to `timeout` ms), then releases
   * what is left so another process resumes it without counting a crash.
   */
  async close(timeout: number): Promise<void> {
    this.closing = true;
    for (const loop of this.loops.values()) loop.stop();
    clearInterval(this.heartbeatTimer);
    const all = [...this.loops.values()].flatMap((l) => [...l.running.values()]);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), timeout);
    });
    const finished = await Promise.race([Promise.all(all.map((e) => e.done)), expired]);
    clearTimeout(timer);
    if (finished === "expired") {
      for (const { run } of all) run.abort("closing");
      await Promise.all(all.map((e) => e.done));
    }
  }
}
