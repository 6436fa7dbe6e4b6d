/**
 * Engine options (`createDurable`) and their validation: every problem is listed
 * in one `ConfigError`.
 * @module
 */
import { ConfigError } from "../core/errors.js";
import { systemClock, type Clock, type Logger } from "../core/types.js";
import type { AnyWorkflow } from "../dsl/builder-types.js";
import { isWorkflow } from "../dsl/workflow.js";
import type { CaptureLogsOptions } from "../runtime/logs.js";
import type { QueueOptions } from "../runtime/worker.js";
import { checkDatabase, checkPrefix, type DatabaseOption } from "../store/index.js";
import { nameProblem } from "../dsl/validate.js";

/** Options of {@link createDurable}. */
export interface DurableOptions {
  /** Connection string, `pg.Pool`, PGlite instance, or absent for embedded PGlite in `./.durable`. */
  database?: DatabaseOption;
  /** Workflows this engine knows (and runs, unless `queueEnabled` is false). */
  workflows?: AnyWorkflow[];
  /** Instance name, used in logs, events and the worker id (default `"durable"`). */
  name?: string;
  /** PostgreSQL schema holding all tables (default `"durable"`). */
  prefix?: string;
  /** Queues this engine works on (default `{ default: { concurrency: 10, pollInterval: 1000 } }`). */
  queues?: Record<string, QueueOptions>;
  /** False: a client-only instance that starts, queries and signals but runs nothing. */
  queueEnabled?: boolean;
  /** Apply pending migrations at start (default true). */
  migrate?: boolean;
  /** A lease not renewed for this long (ms) is taken over by another worker (default 300000). */
  staleLockTimeout?: number;
  /** How often leases are renewed (ms, default 30000). */
  heartbeatInterval?: number;
  /** How often the scheduler looks for due cron fires (ms, default 60000). */
  schedulerInterval?: number;
  /** Log capture settings, or false to capture nothing. */
  captureLogs?: CaptureLogsOptions | false;
  /** Where the engine writes its own diagnostics (default: console, warnings and errors only). */
  logger?: Logger;
  /** Time source (inject a fake in tests). */
  clock?: Clock;
  /** How long `close()` lets running steps finish before releasing them (ms, default 10000). */
  shutdownTimeout?: number;
  /** Generates execution ids (default `crypto.randomUUID`). */
  idGenerator?: () => string;
  /** Size of the connection pool the engine creates for a connection string (default 20). */
  poolSize?: number;
  /**
   * Use named prepared statements on PostgreSQL (default true). Turn off behind a
   * connection pooler in transaction mode.
   */
  preparedStatements?: boolean;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  database: DatabaseOption;
  workflows: AnyWorkflow[];
  name: string;
  prefix: string;
  queues: Record<string, Required<QueueOptions>>;
  queueEnabled: boolean;
  migrate: boolean;
  staleLockTimeout: number;
  heartbeatInterval: number;
  schedulerInterval: number;
  captureLogs: CaptureLogsOptions | false;
  logger: Logger;
  clock: Clock;
  shutdownTimeout: number;
  idGenerator: () => string;
  poolSize: number;
  preparedStatements: boolean;
}

const KNOWN = new Set([
  "database",
  "workflows",
  "name",
  "prefix",
  "queues",
  "queueEnabled",
  "migrate",
  "staleLockTimeout",
  "heartbeatInterval",
  "schedulerInterval",
  "captureLogs",
  "logger",
  "clock",
  "shutdownTimeout",
  "idGenerator",
  "poolSize",
  "preparedStatements",
]);

const quietConsoleLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (m, d) => console.warn(`[durable] ${m}`, d ?? ""),
  error: (m, d) => console.error(`[durable] ${m}`, d ?? ""),
};

const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** Validates options and applies defaults; throws one ConfigError listing every problem. */
export function resolveOptions(input: DurableOptions | undefined): ResolvedOptions {
  const o = (input ?? {}) as DurableOptions & Record<string, unknown>;
  const problems: string[] = [];
  if (typeof o !== "object" || o === null) throw new ConfigError("options must be an object");
  for (const key of Object.keys(o)) if (!KNOWN.has(key)) problems.push(`unknown option "${key}"`);
  const db = checkDatabase(o.database);
  if (db) problems.push(db);
  const prefix = o.prefix ?? "durable";
  const pp = checkPrefix(prefix);
  if (pp) problems.push(pp);
  const name = o.name ?? "durable";
  if (typeof name !== "string" || name.length === 0 || name.length > 100)
    problems.push("name must be a non-empty string of at most 100 characters");
  const workflows = o.workflows ?? [];
  if (!Array.isArray(workflows))
    problems.push("workflows must be an array of workflow definitions");
  else {
    const seen = new Set<string>();
    workflows.forEach((w, i) => {
      if (!isWorkflow(w))
        return problems.push(`workflows[${i}] is not a workflow built with workflow()`);
      if (seen.has(w.name)) problems.push(`workflow "${w.name}" is registered twice`);
      seen.add(w.name);
      try {
        void w.definition;
      } catch (err) {
        problems.push((err as Error).message);
      }
    });
  }
  const queues: Record<string, Required<QueueOptions>> = {};
  const rawQueues = o.queues ?? { default: {} };
  if (typeof rawQueues !== "object" || rawQueues === null || Array.isArray(rawQueues))
    problems.push("queues must be an object of { concurrency, pollInterval } by queue name");
  else
    for (const [q, qo] of Object.entries(rawQueues)) {
      const np = nameProblem(q);
      if (np) problems.push(`queue name ${JSON.stringify(q)}: ${np}`);
      const concurrency = qo?.concurrency ?? 10;
      const pollInterval = qo?.pollInterval ?? 1000;
      if (!isPositiveInt(concurrency) || concurrency > 10_000)
        problems.push(`queues.${q}.concurrency must be an integer from 1 to 10000`);
      if (!isPositiveInt(pollInterval))
        problems.push(`queues.${q}.pollInterval must be a positive integer (ms)`);
      queues[q] = { concurrency, pollInterval };
    }
  const ms = (key: keyof DurableOptions, def: number): number => {
    const v = o[key] ?? def;
    if (!isPositiveInt(v)) problems.push(`${key} must be a positive integer (ms)`);
    return v as number;
  };
  const staleLockTimeout = ms("staleLockTimeout", 300_000);
  const heartbeatInterval = ms("heartbeatInterval", 30_000);
  if (
    isPositiveInt(staleLockTimeout) &&
    isPositiveInt(heartbeatInterval) &&
    heartbeatInterval >= staleLockTimeout
  )
    problems.push("heartbeatInterval must be shorter than staleLockTimeout");
  const schedulerInterval = ms("schedulerInterval", 60_000);
  const shutdownTimeout = ms("shutdownTimeout", 10_000);
  const poolSize = ms("poolSize", 20);
  for (const key of ["queueEnabled", "migrate", "preparedStatements"] as const)
    if (o[key] !== undefined && typeof o[key] !== "boolean")
      problems.push(`${key} must be a boolean`);
  const captureLogs = o.captureLogs ?? {};
  if (captureLogs !== false && (typeof captureLogs !== "object" || captureLogs === null))
    problems.push("captureLogs must be false or { maxEntries, maxLength, passthrough }");
  else if (captureLogs !== false) {
    if (captureLogs.maxEntries !== undefined && !isPositiveInt(captureLogs.maxEntries))
      problems.push("captureLogs.maxEntries must be a positive integer");
    if (captureLogs.maxLength !== undefined && !isPositiveInt(captureLogs.maxLength))
      problems.push("captureLogs.maxLength must be a positive integer");
  }
  const logger = o.logger ?? quietConsoleLogger;
  if (["debug", "info", "warn", "error"].some((m) => typeof (logger as any)?.[m] !== "function"))
    problems.push("logger must have debug, info, warn and error methods");
  const clock = o.clock ?? systemClock;
  if (typeof clock?.now !== "function") problems.push("clock must have a now() method");
  const idGenerator = o.idGenerator ?? (() => crypto.randomUUID());
  if (typeof idGenerator !== "function") problems.push("idGenerator must be a function");
  if (problems.length) throw new ConfigError(problems);
  return {
    database: o.database,
    workflows,
    name,
    prefix,
    queues,
    queueEnabled: o.queueEnabled ?? true,
    migrate: o.migrate ?? true,
    staleLockTimeout,
    heartbeatInterval,
    schedulerInterval,
    captureLogs,
    logger,
    clock,
    shutdownTimeout,
    idGenerator,
    poolSize,
    preparedStatements: o.preparedStatements ?? true,
  };
}
