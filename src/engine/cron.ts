/**
 * Cron expressions: validation and fire-time arithmetic over the `croner`
 * library, DST-correct in any IANA timezone. Pure: every computation is given the
 * instant it starts from; nothing here reads a clock.
 *
 * Accepted: 5 fields (`minute hour day-of-month month day-of-week`) or 6 with seconds
 * first; ranges, steps, lists, names (`MON-FRI`, `JAN`), croner's `L`, `W` and `#`, and
 * the macros `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`,
 * `@hourly`. Day-of-month and day-of-week combine with OR, as in Vixie cron.
 *
 * DST (croner's rules, the same as Vixie cron): a job at one fixed local time (one value
 * each in seconds, minutes and hours, e.g. `30 2 * * *`) runs once a day: when that
 * time does not exist (spring forward) it runs at the first valid time after the gap,
 * and when it occurs twice (fall back) it runs at the first occurrence only. Interval
 * jobs (`*\/30 * * * *`) skip the times in a gap and run at both occurrences of a
 * repeated time (they are real, distinct instants).
 * @module
 */
import { Cron } from "croner";
import { ValidationError } from "../core/errors.js";

/** What to do with fires missed while no engine ran: see {@link planFires}. */
export type CatchUp = "none" | "one" | "all";

/** Most missed fires started at once by `catchUp: "all"` (the latest ones). */
export const MAX_CATCH_UP = 100;

/** Most fires planned in one go; the rest are planned by the next pass. */
export const MAX_FIRES_PER_PLAN = 1000;

const MACROS = [
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
] as const;

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

/** Why `timezone` is not a usable IANA timezone name, or `undefined` when it is. */
export function timezoneProblem(timezone: unknown): string | undefined {
  if (typeof timezone !== "string" || timezone.trim() === "")
    return `timezone must be an IANA timezone name such as "America/New_York" (got ${show(timezone)})`;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `unknown timezone ${show(timezone)}: use an IANA name such as "Europe/Paris" or "UTC"`;
  }
}

/** Why `cron` is not a valid 5- or 6-field cron expression or macro, or `undefined`. */
export function cronProblem(cron: unknown): string | undefined {
  if (typeof cron !== "string" || cron.trim() === "")
    return `cron must be a non-empty string such as "0 9 * * MON-FRI" (got ${show(cron)})`;
  const text = cron.trim();
  if (text.startsWith("@")) {
    if ((MACROS as readonly string[]).includes(text.toLowerCase())) return undefined;
    return `invalid cron expression ${show(cron)}: unknown macro (allowed: ${MACROS.join(", ")})`;
  }
  const fields = text.split(/\s+/).length;
  if (fields !== 5 && fields !== 6)
    return `invalid cron expression ${show(cron)}: expected 5 fields (minute hour day month weekday) or 6 (with seconds first), got ${fields}`;
  if (text.includes("?"))
    return `invalid cron expression ${show(cron)}: "?" is not supported, use "*"`;
  try {
    new Cron(text, { mode: "5-or-6-parts" });
    return undefined;
  } catch (err) {
    const why = (err as Error).message.replace(/^CronPattern:\s*/, "");
    return `invalid cron expression ${show(cron)}: ${why}`;
  }
}

/** The canonical spelling of a valid timezone (`america/new_york` → `America/New_York`). */
export function canonicalTimezone(timezone: string): string {
  return new Intl.DateTimeFormat("en-US", { timeZone: timezone }).resolvedOptions().timeZone;
}

/** A validated cron expression in a timezone: the fire-time arithmetic of one schedule. */
export class CronExpression {
  private readonly job: Cron;

  private constructor(
    /** The expression as given (trimmed). */
    readonly cron: string,
    /** The canonical IANA timezone name. */
    readonly timezone: string,
  ) {
    this.job = new Cron(cron, { mode: "5-or-6-parts", timezone });
  }

  /**
   * Validates and parses. Throws `ValidationError` naming the problem (bad syntax, out of
   * range values, unknown names or macros, unknown timezone).
   *
   * @example
   * const expr = CronExpression.parse("30 2 * * *", "America/New_York");
   * expr.next(new Date("2025-03-08T12:00:00Z")); // 2025-03-09T07:00:00Z (03:00 EDT: 02:30 does not exist)
   */
  static parse(cron: unknown, timezone: unknown = "UTC"): CronExpression {
    const problem = cronProblem(cron) ?? timezoneProblem(timezone);
    if (problem) throw new ValidationError(problem);
    return new CronExpression((cron as string).trim(), canonicalTimezone(timezone as string));
  }

  /** The first fire strictly after `after`, or null when there is none. */
  next(after: Date): Date | null {
    return this.job.nextRun(after);
  }

  /** The latest fire strictly before `before`, or null when there is none. */
  previous(before: Date): Date | null {
    return this.job.previousRuns(1, before)[0] ?? null;
  }

  /** Up to `max` latest fires strictly before `before`, oldest first. */
  previousMany(before: Date, max: number): Date[] {
    return this.job.previousRuns(max, before).reverse();
  }

  /** Fires in `[from, to]` (both inclusive), oldest first, at most `max` of them. */
  between(from: Date, to: Date, max: number): Date[] {
    const out: Date[] = [];
    let t = this.next(new Date(from.getTime() - 1));
    while (t && t.getTime() <= to.getTime() && out.length < max) {
      out.push(t);
      t = this.next(t);
    }
    return out;
  }

  /**
   * The first fire strictly after `after`. Throws `ValidationError` when the expression
   * never fires again (e.g. `0 0 31 2 *`, February 31st).
   */
  firstAfter(after: Date): Date {
    const next = this.next(after);
    if (!next)
      throw new ValidationError(
        `cron expression ${show(this.cron)} never fires after ${after.toISOString()}`,
      );
    return next;
  }
}

/** What a scheduler pass should do with a due schedule: see {@link planFires}. */
export interface FirePlan {
  /** Fire times to start now, oldest first. */
  fires: Date[];
  /** The new `nextRunAt`: the first fire not planned (null when the cron never fires again). */
  next: Date | null;
}

/** Input of {@link planFires}. */
export interface PlanInput {
  expr: CronExpression;
  /** The schedule's `nextRunAt`: its first fire not started yet. */
  nextRunAt: Date;
  /** The current instant (from the engine's clock). */
  now: Date;
  /**
   * A fire found within this many ms of its time is on time and always starts; an older
   * one was missed (no engine ran to fire it) and `catchUp` decides.
   */
  grace: number;
  catchUp: CatchUp;
}

/**
 * Which fires of a due schedule to start at `now`. Every fire in
 * `[max(nextRunAt, now - grace), now]` is on time and planned. Fires in
 * `[nextRunAt, now - grace)` were missed: `"none"` plans none of them, `"one"` the latest
 * one, `"all"` the latest {@link MAX_CATCH_UP} of them. `next` is the first fire after
 * `now`; or, when more than {@link MAX_FIRES_PER_PLAN} on-time fires are due (a period
 * far shorter than the grace), the first one left for the next pass.
 */
export function planFires(input: PlanInput): FirePlan {
  const { expr, nextRunAt, now, grace, catchUp } = input;
  if (nextRunAt.getTime() > now.getTime()) return { fires: [], next: nextRunAt };
  const cutoff = new Date(now.getTime() - grace);
  const fires: Date[] = [];
  if (catchUp !== "none" && nextRunAt.getTime() < cutoff.getTime()) {
    const wanted = catchUp === "one" ? 1 : MAX_CATCH_UP;
    const missed = expr.previousMany(cutoff, wanted);
    fires.push(...missed.filter((t) => t.getTime() >= nextRunAt.getTime()));
  }
  const start = nextRunAt.getTime() > cutoff.getTime() ? nextRunAt : cutoff;
  const onTime = expr.between(start, now, MAX_FIRES_PER_PLAN);
  fires.push(...onTime);
  const last = onTime[onTime.length - 1];
  const next = onTime.length === MAX_FIRES_PER_PLAN && last ? expr.next(last) : expr.next(now);
  return { fires, next };
}
