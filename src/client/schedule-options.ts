/**
 * Types of the schedule API and the checks and mapping behind it.
 * @module
 */
import { ValidationError, type ErrorInfo } from "../core/errors.js";
import { decodeJson } from "../core/serialize.js";
import { nameProblem } from "../dsl/validate.js";
import type { CatchUp } from "../engine/cron.js";
import type { ScheduleFiredEvent } from "../runtime/scheduler.js";
import type { Overlap, ScheduleRecord } from "../store/schedule-queries.js";

export type { CatchUp, Overlap };

/** A cron schedule. */
export interface Schedule<Input = unknown> {
  /** Unique name (letters, digits, `_`, `-`, `.`). */
  name: string;
  /** Name of the workflow each fire starts. */
  workflow: string;
  /** The cron expression (5 fields, or 6 with seconds first, or a macro such as `@daily`). */
  cron: string;
  /** IANA timezone the cron is read in (canonical spelling). */
  timezone: string;
  /** Input of every execution it starts. */
  input: Input;
  /** Queue of the executions it starts. */
  queue: string;
  enabled: boolean;
  /** Fires missed while no engine ran: none, the latest one (default), or all (at most 100). */
  catchUp: CatchUp;
  /** `"skip"`: no fire while an execution it started is still active. */
  overlap: Overlap;
  /** The next fire time (null while disabled). */
  nextRunAt: Date | null;
  /** When it last started an execution (by a fire or `triggerSchedule`). */
  lastRunAt: Date | null;
  /** Why the last attempt to start its workflow failed; null once a fire succeeds. */
  lastError: ErrorInfo | null;
  /** Failed starts in a row; at 5 the schedule is disabled. `enableSchedule` resets it. */
  consecutiveFailures: number;
  /** True when it comes from a workflow's `schedule` option (the code owns it). */
  declared: boolean;
  /** Why it is disabled: a `disableSchedule` call, its declaration removed, or failures. */
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Options of `schedule(workflow, cron, options)`. */
export interface ScheduleOptions<Input = unknown> {
  /** Unique name (default: the workflow's name). */
  name?: string;
  /** Input of every execution it starts (validated against the workflow's input schema). */
  input?: Input;
  /** IANA timezone the cron is read in (default `"UTC"`). */
  timezone?: string;
  /** Queue of its executions (default: the workflow's queue). */
  queue?: string;
  /** Default true. */
  enabled?: boolean;
  /** Default `"one"`. */
  catchUp?: CatchUp;
  /** Default `"allow"`. */
  overlap?: Overlap;
}

/** Changes of `updateSchedule`; `nextRunAt` is recomputed from now. */
export interface UpdateScheduleOptions<Input = unknown> {
  cron?: string;
  timezone?: string;
  input?: Input;
  queue?: string;
  enabled?: boolean;
  catchUp?: CatchUp;
  overlap?: Overlap;
}

/** Filters of `listSchedules`. */
export interface ListSchedulesOptions {
  enabled?: boolean;
  workflow?: string;
  queue?: string;
  /** At most this many (default 100, at most 1000), by name. */
  limit?: number;
  offset?: number;
}

/** Options of `triggerSchedule`. */
export interface TriggerScheduleOptions {
  /** Input of this one execution instead of the schedule's. */
  input?: unknown;
}

export type { ScheduleFiredEvent };

/** A value quoted for an error message. */
export const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

/** Checks option keys and the values every call shares; throws one `ValidationError`. */
export function checkScheduleOptions(
  what: string,
  o: unknown,
  allowed: string[],
): Record<string, unknown> {
  if (o === undefined) return {};
  if (typeof o !== "object" || o === null || Array.isArray(o))
    throw new ValidationError(`${what}: options must be an object`);
  const opts = o as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(opts))
    if (!allowed.includes(key))
      problems.push(`unknown option ${show(key)} (allowed: ${allowed.join(", ")})`);
  const { name, queue, enabled, catchUp, overlap, timezone } = opts;
  if (name !== undefined) {
    const np = nameProblem(name);
    if (np) problems.push(`schedule ${np}`);
  }
  if (queue !== undefined) {
    const np = nameProblem(queue);
    if (np) problems.push(`queue ${np}`);
  }
  if (enabled !== undefined && typeof enabled !== "boolean")
    problems.push(`enabled must be a boolean (got ${show(enabled)})`);
  if (catchUp !== undefined && !["none", "one", "all"].includes(catchUp as string))
    problems.push(`catchUp must be "none", "one" or "all" (got ${show(catchUp)})`);
  if (overlap !== undefined && !["allow", "skip"].includes(overlap as string))
    problems.push(`overlap must be "allow" or "skip" (got ${show(overlap)})`);
  if (opts.workflow !== undefined && typeof opts.workflow !== "string")
    problems.push(`workflow must be a workflow name (got ${show(opts.workflow)})`);
  if (timezone !== undefined && typeof timezone !== "string")
    problems.push(`timezone must be a string (got ${show(timezone)})`);
  if (problems.length) throw new ValidationError(`${what}: ${problems.join("; ")}`);
  return opts;
}

/** Maps a stored schedule to the public shape. */
export function toSchedule(r: ScheduleRecord): Schedule {
  return {
    name: r.name,
    workflow: r.workflow,
    cron: r.cron,
    timezone: r.timezone,
    input: r.input === null ? undefined : decodeJson(r.input, `input of schedule "${r.name}"`),
    queue: r.queue,
    enabled: r.enabled,
    catchUp: r.catchUp,
    overlap: r.overlap,
    nextRunAt: r.nextRunAt,
    lastRunAt: r.lastRunAt,
    lastError: r.lastError,
    consecutiveFailures: r.consecutiveFailures,
    declared: r.declared,
    disabledReason: r.disabledReason,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** Schedule methods of the engine object. */
