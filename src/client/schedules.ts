/**
 * Cron schedules of the engine object: create, read, list, change, delete,
 * enable, disable and trigger. Schedules fire in the engines that run
 * (`queueEnabled`) and have the schedule's workflow registered; see
 * `docs/scheduling.md`.
 * @module
 */
import { InvalidStateError, NotFoundError, ValidationError } from "../core/errors.js";
import { decodeJson, encodeJson } from "../core/serialize.js";
import type { AnyWorkflow, InputOf } from "../dsl/builder-types.js";
import type { WorkflowDefinition } from "../dsl/nodes.js";
import { validateInput } from "../dsl/validate.js";
import { CronExpression } from "../engine/cron.js";
import type { ScheduleFiredEvent } from "../runtime/scheduler.js";
import type { ScheduleQueries, ScheduleRecord } from "../store/schedule-queries.js";
import {
  checkScheduleOptions as checkOptions,
  show,
  toSchedule,
  type ListSchedulesOptions,
  type Schedule,
  type ScheduleOptions,
  type TriggerScheduleOptions,
  type UpdateScheduleOptions,
} from "./schedule-options.js";
import { DurableSignals } from "./signals.js";

export type {
  CatchUp,
  Overlap,
  ListSchedulesOptions,
  Schedule,
  ScheduleFiredEvent,
  ScheduleOptions,
  TriggerScheduleOptions,
  UpdateScheduleOptions,
} from "./schedule-options.js";

export class DurableSchedules extends DurableSignals {
  private get scheduleStore(): ScheduleQueries {
    return this.scheduler.options.store;
  }

  private async encodeScheduleInput(def: WorkflowDefinition, name: string, input: unknown) {
    return encodeJson(await validateInput(def, input), `input of schedule "${name}"`);
  }

  /**
   * Creates a schedule: `workflow` starts at every fire of `cron` (read in `timezone`,
   * default UTC), with `input`. Rejects with `ValidationError` for an invalid cron,
   * timezone, name, option or input, `NotFoundError` for an unregistered workflow name,
   * and `InvalidStateError` when a schedule of that name exists.
   *
   * @example
   * await durable.schedule(report, "0 9 * * MON-FRI", { timezone: "Europe/Paris", input: { team: "ops" } });
   */
  async schedule<W extends AnyWorkflow>(
    workflow: W | string,
    cron: string,
    options?: ScheduleOptions<InputOf<W>>,
  ): Promise<Schedule<InputOf<W>>> {
    this.assertOpen();
    const def = this.definitionOf(workflow);
    const opts = checkOptions("schedule", options, [
      "name",
      "input",
      "timezone",
      "queue",
      "enabled",
      "catchUp",
      "overlap",
    ]) as ScheduleOptions;
    const name = opts.name ?? def.name;
    const expr = CronExpression.parse(cron, opts.timezone ?? "UTC");
    const input = await this.encodeScheduleInput(def, name, opts.input);
    const now = new Date(this.now());
    const enabled = opts.enabled ?? true;
    const next = enabled ? expr.firstAfter(now) : null;
    const store = this.scheduleStore;
    const created = await store.transaction((db) =>
      store.create(db, {
        name,
        workflow: def.name,
        cron: expr.cron,
        timezone: expr.timezone,
        input,
        queue: opts.queue ?? def.options.queue ?? "default",
        enabled,
        catchUp: opts.catchUp ?? "one",
        overlap: opts.overlap ?? "allow",
        declared: false,
        nextRunAt: next,
        wakeAt: next,
        lastRunAt: null,
        lastError: null,
        consecutiveFailures: 0,
        disabledBy: enabled ? null : "user",
        disabledReason: enabled ? null : "created disabled",
        createdAt: now,
        updatedAt: now,
      }),
    );
    if (!created) {
      const other = await store.get(name);
      throw new InvalidStateError(
        `A schedule named ${show(name)} already exists` +
          (other ? ` (workflow ${show(other.workflow)}, cron ${show(other.cron)})` : "") +
          "; use updateSchedule() to change it, or deleteSchedule() first",
      );
    }
    if (next) this.scheduler.wakeAt(next.getTime());
    return toSchedule(created);
  }

  /** Reads a schedule, or null when there is none of that name. */
  async getSchedule(name: string): Promise<Schedule | null> {
    this.assertOpen();
    if (typeof name !== "string") throw new ValidationError("schedule name must be a string");
    const r = await this.scheduleStore.get(name);
    return r ? toSchedule(r) : null;
  }

  /** Lists schedules by name, optionally filtered by `enabled`, `workflow` and `queue`. */
  async listSchedules(options: ListSchedulesOptions = {}): Promise<Schedule[]> {
    this.assertOpen();
    const o = checkOptions("listSchedules", options, [
      "enabled",
      "workflow",
      "queue",
      "limit",
      "offset",
    ]) as ListSchedulesOptions;
    const { limit = 100, offset = 0 } = o;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new ValidationError(`listSchedules: limit must be an integer from 1 to 1000`);
    if (!Number.isInteger(offset) || offset < 0)
      throw new ValidationError(`listSchedules: offset must be a non-negative integer`);
    const rows = await this.scheduleStore.list(
      { enabled: o.enabled, workflow: o.workflow, queue: o.queue },
      limit,
      offset,
    );
    return rows.map(toSchedule);
  }

  /**
   * Changes a schedule's cron, timezone, input, queue, enabled, catchUp or overlap, and
   * recomputes `nextRunAt` from now. A declared schedule gets its code's values back
   * the next time an engine with its workflow starts.
   */
  async updateSchedule(name: string, changes: UpdateScheduleOptions): Promise<Schedule> {
    this.assertOpen();
    const c = checkOptions(`updateSchedule(${show(name)})`, changes ?? {}, [
      "cron",
      "timezone",
      "input",
      "queue",
      "enabled",
      "catchUp",
      "overlap",
    ]) as UpdateScheduleOptions;
    const current = await this.scheduleStore.get(String(name));
    if (!current) throw new NotFoundError(`No schedule named ${show(name)}`);
    const expr = CronExpression.parse(c.cron ?? current.cron, c.timezone ?? current.timezone);
    const def = this.registry.get(current.workflow);
    // Without the workflow registered here, the input is checked at each fire.
    const input =
      "input" in c
        ? def
          ? await this.encodeScheduleInput(def, current.name, c.input)
          : encodeJson(c.input, `input of schedule "${current.name}"`)
        : undefined;
    return this.changeSchedule(current.name, (s, now) => {
      const enabled = c.enabled ?? s.enabled;
      const next = enabled ? expr.firstAfter(now) : null;
      return {
        ...s,
        cron: expr.cron,
        timezone: expr.timezone,
        input: input ?? s.input,
        queue: c.queue ?? s.queue,
        catchUp: c.catchUp ?? s.catchUp,
        overlap: c.overlap ?? s.overlap,
        enabled,
        nextRunAt: next,
        wakeAt: next,
        consecutiveFailures: enabled && !s.enabled ? 0 : s.consecutiveFailures,
        disabledBy: enabled ? null : s.enabled ? "user" : s.disabledBy,
        disabledReason: enabled
          ? null
          : s.enabled
            ? "disabled by updateSchedule({ enabled: false })"
            : s.disabledReason,
      };
    });
  }

  /** Locks, changes and saves a schedule; `NotFoundError` when there is none. */
  private async changeSchedule(
    name: string,
    change: (s: ScheduleRecord, now: Date) => ScheduleRecord,
  ): Promise<Schedule> {
    const store = this.scheduleStore;
    const now = new Date(this.now());
    const saved = await store.transaction(async (db) => {
      const s = await store.lock(db, name);
      if (!s) throw new NotFoundError(`No schedule named ${show(name)}`);
      return store.save(db, { ...change(s, now), updatedAt: now });
    });
    if (saved.wakeAt) this.scheduler.wakeAt(saved.wakeAt.getTime());
    return toSchedule(saved);
  }

  /**
   * Deletes a schedule (`NotFoundError` when there is none). Executions it started are
   * kept. A declared schedule is created again when an engine with its workflow starts:
   * remove the `schedule` option from the code instead.
   */
  async deleteSchedule(name: string): Promise<void> {
    this.assertOpen();
    if (!(await this.scheduleStore.remove(String(name))))
      throw new NotFoundError(`No schedule named ${show(name)}`);
  }

  /**
   * Enables a schedule: resets `consecutiveFailures` and ends any failure backoff; a
   * schedule that was disabled fires next at its first cron time after now.
   */
  async enableSchedule(name: string): Promise<Schedule> {
    this.assertOpen();
    return this.changeSchedule(String(name), (s, now) => {
      const next = s.enabled && s.nextRunAt ? s.nextRunAt : this.firstFire(s, now);
      return {
        ...s,
        enabled: true,
        nextRunAt: next,
        wakeAt: next,
        consecutiveFailures: 0,
        disabledBy: null,
        disabledReason: null,
      };
    });
  }

  /** Disables a schedule: it fires no more until enabled (`nextRunAt` becomes null). */
  async disableSchedule(name: string): Promise<Schedule> {
    this.assertOpen();
    return this.changeSchedule(String(name), (s) => ({
      ...s,
      enabled: false,
      nextRunAt: null,
      wakeAt: null,
      disabledBy: s.enabled ? "user" : s.disabledBy,
      disabledReason: s.enabled ? "disabled by disableSchedule()" : s.disabledReason,
    }));
  }

  private firstFire(s: ScheduleRecord, now: Date): Date {
    return CronExpression.parse(s.cron, s.timezone).firstAfter(now);
  }

  /**
   * Starts the schedule's workflow now, once, whether the schedule is enabled or not,
   * with its input or `options.input`; resolves to the execution id. The execution
   * records the schedule's name and a null fire time. `overlap` does not apply.
   * `NotFoundError` when there is no such schedule or its workflow is not registered in
   * this engine.
   */
  async triggerSchedule(name: string, options: TriggerScheduleOptions = {}): Promise<string> {
    this.assertOpen();
    const o = checkOptions(`triggerSchedule(${show(name)})`, options, ["input"]);
    const store = this.scheduleStore;
    const s = await store.get(String(name));
    if (!s) throw new NotFoundError(`No schedule named ${show(name)}`);
    const def = this.definitionOf(s.workflow);
    const raw = "input" in o ? o.input : s.input === null ? undefined : decodeJson(s.input);
    const input = await this.encodeScheduleInput(def, s.name, raw);
    const now = new Date(this.now());
    const id = await store.transaction(async (db) => {
      const locked = await store.lock(db, s.name);
      if (!locked) throw new NotFoundError(`No schedule named ${show(name)}`);
      const newId = this.options.idGenerator();
      const execution = {
        id: newId,
        workflow: def.name,
        queue: locked.queue,
        priority: def.options.priority ?? 0,
        input,
        idempotencyKey: null,
        scheduledAt: null,
        runAt: now,
        now,
        scheduleName: locked.name,
        scheduleFireAt: null,
      };
      const inserted = await store.insertExecution(db, execution, this.origin);
      if (inserted === null) throw new InvalidStateError(`Execution id "${newId}" already exists`);
      await store.save(db, { ...locked, lastRunAt: now, updatedAt: now });
      return inserted;
    });
    if (this.events.has("schedule.fired")) {
      const event: ScheduleFiredEvent = {
        type: "schedule.fired",
        executionId: id,
        workflow: def.name,
        at: now,
        schedule: s.name,
        fireAt: null,
        manual: true,
      };
      this.events.emit(event);
    }
    return id;
  }
}
