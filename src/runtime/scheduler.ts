/**
 * The scheduler of an engine: registers the schedules declared by its
 * workflows, and fires due schedules. One timer per engine, for the earliest due
 * schedule it knows of (never later than `schedulerInterval`, the fallback), woken
 * earlier by NOTIFY when a schedule changes anywhere.
 *
 * Exactly once: a due schedule is claimed with `FOR UPDATE SKIP LOCKED`, and in that
 * same transaction its executions are inserted (`ON CONFLICT DO NOTHING` on the unique
 * `(schedule_name, schedule_fire_at)`) and its `next_run_at` advanced. Another engine
 * either skips the locked row or, once committed, no longer finds it due; and were it
 * ever to fire the same time again, the unique index would keep the second insert out.
 * @module
 */
import { toErrorInfo } from "../core/errors.js";
import { decodeJson, encodeJson } from "../core/serialize.js";
import type { Clock, Logger } from "../core/types.js";
import type { WorkflowDefinition } from "../dsl/nodes.js";
import { validateInput } from "../dsl/validate.js";
import { CronExpression, planFires } from "../engine/cron.js";
import type { Queryable } from "../store/driver.js";
import type { ScheduleQueries, ScheduleRecord } from "../store/schedule-queries.js";
import type { LifecycleEmitter, LifecycleEvent } from "./events.js";
import { ScheduleDeclarations } from "./schedule-declarations.js";

/** Consecutive failed starts after which a schedule is disabled. */
export const MAX_CONSECUTIVE_FAILURES = 5;

/** A fire found later than this (or `schedulerInterval` when longer) was missed. */
export const MIN_MISFIRE_GRACE = 60_000;

/** Wait before firing again after the n-th consecutive failure: 10 s, 20 s, 40 s, 80 s. */
export function failureBackoff(n: number): number {
  return Math.min(10_000 * 2 ** (n - 1), 300_000);
}

/** Payload of the `schedule.fired` lifecycle event. */
export interface ScheduleFiredEvent extends LifecycleEvent {
  type: "schedule.fired";
  /** Name of the schedule. */
  schedule: string;
  /** The cron fire time the execution is for; null for `triggerSchedule`. */
  fireAt: Date | null;
  /** True when started by `triggerSchedule` rather than by the cron. */
  manual: boolean;
}

/** Everything a scheduler needs. */
export interface SchedulerOptions {
  store: ScheduleQueries;
  workflows: ReadonlyMap<string, WorkflowDefinition>;
  clock: Clock;
  logger: Logger;
  events: LifecycleEmitter;
  /** Short id of this engine instance, carried in notifications. */
  origin: string;
  /** Engine name, quoted when a declared schedule is disabled. */
  engine: string;
  /** `schedulerInterval`: the longest time between two looks at the schedules. */
  interval: number;
  newId: () => string;
}

interface Fired {
  schedule: string;
  workflow: string;
  started: { id: string; fireAt: Date | null }[];
}

const RECHECK_DELAY = 50;

const MAX_CLAIMS_PER_PASS = 1000;

/** Registers declared schedules and fires due ones. */
export class Scheduler {
  private readonly declarations: ScheduleDeclarations;
  private timer: NodeJS.Timeout | undefined;
  private dueAt = Infinity;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;
  private stopped = false;

  /** Validates the declared schedules; throws `ConfigError` listing every problem. */
  constructor(readonly options: SchedulerOptions) {
    this.declarations = new ScheduleDeclarations(options);
  }

  private get grace(): number {
    return Math.max(this.options.interval, MIN_MISFIRE_GRACE);
  }

  private now(): Date {
    return new Date(this.options.clock.now());
  }

  /**
   * Registers the schedules the workflows declare, and disables those they no longer
   * declare: see {@link ScheduleDeclarations.register}. Called at engine start.
   */
  declare(): Promise<void> {
    return this.declarations.register();
  }

  /** Starts firing: a first look at once, then by timer, NOTIFY and the interval. */
  start(): void {
    if (this.started || this.options.workflows.size === 0) return;
    this.started = true;
    this.wake();
  }

  /** Handles a notification payload from the prefix's channel. */
  onNotice(payload: string): void {
    if (payload.startsWith("sched:")) this.wakeAt(Number(payload.slice(6)));
    else if (payload.startsWith("fired:")) this.remoteFired(payload.slice(6));
  }

  private remoteFired(body: string): void {
    const [origin, schedule = "", workflow = "", fireAt = "", ...rest] = body.split(":");
    if (origin === this.options.origin || !this.options.events.has("schedule.fired")) return;
    const event: ScheduleFiredEvent = {
      type: "schedule.fired",
      executionId: rest.join(":"),
      workflow,
      at: this.now(),
      schedule,
      fireAt: fireAt === "" ? null : new Date(Number(fireAt)),
      manual: fireAt === "",
      remote: true,
    };
    this.options.events.emit(event);
  }

  /** Looks at the schedules at `at` (epoch ms) at the latest. */
  wakeAt(at: number): void {
    if (!this.started || this.stopped || !Number.isFinite(at) || at >= this.dueAt) return;
    this.arm(at);
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    const now = this.options.clock.now();
    const delay = at <= now ? RECHECK_DELAY : Math.min(at - now, this.options.interval);
    this.dueAt = at <= now ? now + delay : Math.min(at, now + delay);
    this.timer = setTimeout(() => {
      this.dueAt = Infinity;
      this.wake();
    }, delay);
    this.timer.unref();
  }

  /** Requests a pass; passes never overlap and requests made during one coalesce. */
  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err) => {
        this.options.logger.error("scheduler pass failed", { err });
        return this.options.clock.now() + Math.min(this.options.interval, 5000);
      })
      .then((next) => {
        this.running = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else this.arm(next ?? this.options.clock.now() + this.options.interval);
      });
  }

  /** Fires what is due; returns when to look next (epoch ms), or null for the interval. */
  private async pass(): Promise<number | null> {
    const { store, workflows } = this.options;
    const names = [...workflows.keys()];
    for (let i = 0; i < MAX_CLAIMS_PER_PASS && !this.stopped; i++) {
      const now = this.now();
      const fired = await store.transaction((db) => this.fireOne(db, now, names));
      if (!fired) break;
      for (const s of fired.started) this.emitFired(fired, s.id, s.fireAt, now);
    }
    if (this.stopped) return null;
    const next = await store.nextWake(names);
    return next ? next.getTime() : null;
  }

  private emitFired(fired: Fired, id: string, fireAt: Date | null, now: Date): void {
    if (!this.options.events.has("schedule.fired")) return;
    const event: ScheduleFiredEvent = {
      type: "schedule.fired",
      executionId: id,
      workflow: fired.workflow,
      at: now,
      schedule: fired.schedule,
      fireAt,
      manual: fireAt === null,
    };
    this.options.events.emit(event);
  }

  /** Claims one due schedule and fires it, all in the transaction `db`; null when none is due. */
  private async fireOne(db: Queryable, now: Date, names: string[]): Promise<Fired | null> {
    const { store, workflows } = this.options;
    const s = await store.claimDue(db, now, names);
    if (!s) return null;
    const def = workflows.get(s.workflow);
    if (!def) return null; // cannot happen: claims are filtered by registered names
    const fired: Fired = { schedule: s.name, workflow: s.workflow, started: [] };
    let expr: CronExpression;
    try {
      expr = CronExpression.parse(s.cron, s.timezone);
    } catch (err) {
      await this.failed(db, s, err, now);
      return fired;
    }
    const plan = planFires({
      expr,
      nextRunAt: s.nextRunAt ?? now,
      now,
      grace: this.grace,
      catchUp: s.catchUp,
    });
    let fires = plan.fires;
    if (fires.length > 0) {
      let input: string;
      try {
        const raw =
          s.input === null ? undefined : decodeJson(s.input, `input of schedule "${s.name}"`);
        input = encodeJson(await validateInput(def, raw), `input of schedule "${s.name}"`);
      } catch (err) {
        await this.failed(db, s, err, now);
        return fired;
      }
      if (s.overlap === "skip") fires = (await store.hasActive(db, s.name)) ? [] : fires.slice(-1);
      for (const fireAt of fires) {
        const id = await store.insertExecution(
          db,
          this.execution(s, def, input, fireAt, now),
          this.options.origin,
        );
        if (id !== null) fired.started.push({ id, fireAt });
      }
    }
    const attempted = plan.fires.length > 0;
    const ends = plan.next === null;
    await store.save(db, {
      ...s,
      enabled: s.enabled && !ends,
      nextRunAt: plan.next,
      wakeAt: plan.next,
      lastRunAt: fired.started.length > 0 ? now : s.lastRunAt,
      lastError: attempted ? null : s.lastError,
      consecutiveFailures: attempted ? 0 : s.consecutiveFailures,
      disabledBy: ends ? "code" : s.disabledBy,
      disabledReason: ends ? `cron "${s.cron}" never fires again` : s.disabledReason,
      updatedAt: now,
    });
    return fired;
  }

  private execution(
    s: ScheduleRecord,
    def: WorkflowDefinition,
    input: string,
    fireAt: Date | null,
    now: Date,
  ) {
    return {
      id: this.options.newId(),
      workflow: s.workflow,
      queue: s.queue,
      priority: def.options.priority ?? 0,
      input,
      idempotencyKey: null,
      scheduledAt: null,
      runAt: now,
      now,
      scheduleName: s.name,
      scheduleFireAt: fireAt,
    };
  }

  /** Records a failed start: backs off, or disables after {@link MAX_CONSECUTIVE_FAILURES}. */
  private async failed(db: Queryable, s: ScheduleRecord, err: unknown, now: Date): Promise<void> {
    const failures = s.consecutiveFailures + 1;
    const { stack: _stack, ...lastError } = toErrorInfo(err);
    const disable = failures >= MAX_CONSECUTIVE_FAILURES;
    const reason = `disabled after ${failures} consecutive failures to start workflow "${s.workflow}"; last error: ${lastError.message}`;
    const retryAt = new Date(now.getTime() + failureBackoff(failures));
    this.options.logger.warn(`schedule "${s.name}" could not start workflow "${s.workflow}"`, {
      error: lastError.message,
      failures,
      disabled: disable,
    });
    await this.options.store.save(db, {
      ...s,
      enabled: !disable,
      nextRunAt: disable ? null : s.nextRunAt,
      wakeAt: disable ? null : retryAt,
      lastError,
      consecutiveFailures: failures,
      disabledBy: disable ? "failures" : null,
      disabledReason: disable ? reason : null,
      updatedAt: now,
    });
  }

  /** Stops firing and waits for a pass under way. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
