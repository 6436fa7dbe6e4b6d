/**
 * Validation of `start()` options.
 * @module
 */
import { ValidationError } from "../core/errors.js";
import { nameProblem } from "../dsl/validate.js";

/** Options of `start()`. */
export interface StartOptions {
  /** Queue to run on (default: the workflow's `queue` option, else `"default"`). */
  queue?: string;
  /** Higher runs first (default: the workflow's `priority`, else 0). */
  priority?: number;
  /** Do not run before this time. */
  scheduledAt?: Date;
  /** A second start with the same key returns the first execution's id. */
  idempotencyKey?: string;
  /** Use this execution id (a start with an id that exists returns it, starting nothing). */
  id?: string;
}

const KEYS = new Set(["queue", "priority", "scheduledAt", "idempotencyKey", "id"]);
const ID_RE = /^[A-Za-z0-9_.:-]{1,200}$/;

/** Checks start options; throws one ValidationError naming every problem. */
export function checkStartOptions(o: unknown): StartOptions {
  if (o === undefined) return {};
  if (typeof o !== "object" || o === null || Array.isArray(o))
    throw new ValidationError("start options must be an object");
  const opts = o as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(opts)) if (!KEYS.has(k)) problems.push(`unknown start option "${k}"`);
  if (opts.queue !== undefined) {
    const p = nameProblem(opts.queue);
    if (p) problems.push(`queue: ${p}`);
  }
  if (
    opts.priority !== undefined &&
    (!Number.isInteger(opts.priority) || Math.abs(opts.priority as number) > 2 ** 31 - 1)
  )
    problems.push("priority must be a 32-bit integer");
  if (
    opts.scheduledAt !== undefined &&
    !(opts.scheduledAt instanceof Date && !Number.isNaN(opts.scheduledAt.getTime()))
  )
    problems.push("scheduledAt must be a valid Date");
  if (
    opts.idempotencyKey !== undefined &&
    (typeof opts.idempotencyKey !== "string" ||
      opts.idempotencyKey.length === 0 ||
      opts.idempotencyKey.length > 500)
  )
    problems.push("idempotencyKey must be a non-empty string of at most 500 characters");
  if (opts.id !== undefined && (typeof opts.id !== "string" || !ID_RE.test(opts.id)))
    problems.push('id must be 1 to 200 letters, digits, "_", ".", ":" or "-"');
  if (problems.length)
    throw new ValidationError(
      `Invalid start options: ${problems.join("; ")}`,
      problems.map((message) => ({ message })),
    );
  return opts;
}
