/**
 * Declared schedules: the `schedule` option of the workflows an engine has
 * registered, validated when the engine is created and upserted by name when it starts.
 * @module
 */
import { ConfigError } from "../core/errors.js";
import { encodeJson } from "../core/serialize.js";
import type { Clock, Logger } from "../core/types.js";
import type { WorkflowDefinition } from "../dsl/nodes.js";
import { nameProblem, validateInput } from "../dsl/validate.js";
import { CronExpression, type CatchUp } from "../engine/cron.js";
import type { Queryable } from "../store/driver.js";
import type { Overlap, ScheduleQueries, ScheduleRecord } from "../store/schedule-queries.js";

/** What registering declared schedules needs. */
export interface DeclarationOptions {
  store: ScheduleQueries;
  workflows: ReadonlyMap<string, WorkflowDefinition>;
  clock: Clock;
  logger: Logger;
  /** Engine name, quoted when a declared schedule is disabled. */
  engine: string;
}

/** A schedule declared by a workflow's `schedule` option, validated. */
interface Declared {
  name: string;
  def: WorkflowDefinition;
  expr: CronExpression;
  input: unknown;
  catchUp: CatchUp;
  overlap: Overlap;
}

/** JSON with object keys sorted: jsonb does not keep the key order of what was written. */
const canonical = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(canonical)
    : typeof v === "object" && v !== null
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : v;

const sameJson = (a: string | null, b: string | null): boolean =>
  a === b ||
  (a !== null &&
    b !== null &&
    JSON.stringify(canonical(JSON.parse(a))) === JSON.stringify(canonical(JSON.parse(b))));

/** The schedules an engine's workflows declare. */
export class ScheduleDeclarations {
  private readonly declared: Declared[] = [];

  /**
   * Validates every declaration (name, cron, timezone, unique names across the
   * workflows); throws `ConfigError` listing every problem.
   */
  constructor(private readonly options: DeclarationOptions) {
    const problems: string[] = [];
    const owners = new Map<string, string>();
    for (const def of options.workflows.values()) {
      const s = def.options.schedule;
      if (!s) continue;
      const name = s.name ?? def.name;
      const where = `workflow "${def.name}": schedule`;
      const np = nameProblem(name);
      if (np) problems.push(`${where} name: ${np}`);
      const other = owners.get(name);
      if (other !== undefined)
        problems.push(`${where} "${name}" is also declared by workflow "${other}"`);
      owners.set(name, def.name);
      try {
        const expr = CronExpression.parse(s.cron, s.timezone ?? "UTC");
        const catchUp = s.catchUp ?? "one";
        const overlap = s.overlap ?? "allow";
        this.declared.push({ name, def, expr, input: s.input, catchUp, overlap });
      } catch (err) {
        problems.push(`${where} "${name}": ${(err as Error).message}`);
      }
    }
    if (problems.length) throw new ConfigError(problems);
    // One lock order for every engine.
    this.declared.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Upserts the declared schedules by name (a changed cron or timezone takes effect at
   * once; an unchanged one keeps its `nextRunAt`, so fires missed while no engine ran
   * are caught up), and disables, saying why, the declared schedules of this engine's
   * workflows that the code no longer declares. Engines register one at a time (an
   * advisory lock). Throws `ConfigError` for a declared input its workflow rejects.
   */
  async register(): Promise<void> {
    const { store, workflows, clock, logger, engine } = this.options;
    const now = new Date(clock.now());
    const problems: string[] = [];
    const rows: ScheduleRecord[] = [];
    for (const d of this.declared) {
      try {
        const value = await validateInput(d.def, d.input);
        rows.push(this.record(d, encodeJson(value, `input of schedule "${d.name}"`), now));
      } catch (err) {
        problems.push(`workflow "${d.def.name}": schedule "${d.name}": ${(err as Error).message}`);
      }
    }
    if (problems.length) throw new ConfigError(problems);
    if (workflows.size === 0) return;
    await store.transaction(async (db) => {
      await store.lockDeclarations(db);
      for (const row of rows) await this.upsert(db, row, now);
      for (const workflow of workflows.keys()) {
        const keep = rows.filter((r) => r.workflow === workflow).map((r) => r.name);
        const reason =
          `the declaration was removed from workflow "${workflow}" ` +
          `(engine "${engine}" started without it at ${now.toISOString()})`;
        for (const name of await store.disableRemoved(db, workflow, keep, reason, now))
          logger.info(`disabled schedule "${name}": ${reason}`);
      }
    });
  }

  private record(d: Declared, input: string, now: Date): ScheduleRecord {
    const next = d.expr.firstAfter(now);
    return {
      name: d.name,
      workflow: d.def.name,
      cron: d.expr.cron,
      timezone: d.expr.timezone,
      input,
      queue: d.def.options.queue ?? "default",
      enabled: true,
      catchUp: d.catchUp,
      overlap: d.overlap,
      declared: true,
      nextRunAt: next,
      wakeAt: next,
      lastRunAt: null,
      lastError: null,
      consecutiveFailures: 0,
      disabledBy: null,
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Creates or updates one declared schedule. A schedule disabled because its
   * declaration was removed comes back; one disabled by a user or by failures stays
   * disabled. Nothing is written when nothing changed.
   */
  private async upsert(db: Queryable, want: ScheduleRecord, now: Date): Promise<void> {
    const { store, logger } = this.options;
    const old = await store.lock(db, want.name);
    if (!old) {
      await store.create(db, want);
      return;
    }
    if (!old.declared)
      logger.warn(
        `schedule "${want.name}" declared by workflow "${want.workflow}" replaces the one created at run time`,
      );
    const timing =
      old.cron !== want.cron || old.timezone !== want.timezone || old.workflow !== want.workflow;
    const revive = !old.enabled && old.disabledBy === "code";
    const enabled = old.enabled || revive;
    const fresh = timing || revive || (enabled && old.nextRunAt === null);
    const row: ScheduleRecord = {
      ...old,
      workflow: want.workflow,
      cron: want.cron,
      timezone: want.timezone,
      input: want.input,
      queue: want.queue,
      catchUp: want.catchUp,
      overlap: want.overlap,
      declared: true,
      enabled,
      nextRunAt: !enabled ? null : fresh ? want.nextRunAt : old.nextRunAt,
      wakeAt: !enabled ? null : fresh ? want.wakeAt : old.wakeAt,
      consecutiveFailures: revive ? 0 : old.consecutiveFailures,
      disabledBy: enabled ? null : old.disabledBy,
      disabledReason: enabled ? null : old.disabledReason,
    };
    const same = (Object.keys(row) as (keyof ScheduleRecord)[]).every((k) =>
      k === "input"
        ? sameJson(row.input, old.input)
        : JSON.stringify(row[k]) === JSON.stringify(old[k]),
    );
    if (!same) await store.save(db, { ...row, updatedAt: now });
  }
}
