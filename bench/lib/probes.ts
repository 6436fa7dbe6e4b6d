/**
 * Measuring aids that stay outside src/: a query counter that wraps a pool's (or a
 * PGlite instance's) `query` method, and CPU sampling of this process and of the local
 * PostgreSQL server processes (Linux /proc).
 * @module
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** Count and summed latency of one kind of query. */
export interface QueryStat {
  count: number;
  /** Sum of each query's latency (queries overlap, so this can exceed wall time). */
  ms: number;
}

/** Names a SQL statement of the engine by what it does. */
export function classify(sql: string): string {
  if (sql.includes("FOR UPDATE SKIP LOCKED")) return "claim";
  if (sql.includes("set_config('synchronous_commit'")) return "notify (async)";
  if (/^\s*WITH e AS \(UPDATE/.test(sql)) {
    if (sql.includes("lease_owner = NULL")) return "checkpoint (release)";
    return "checkpoint";
  }
  if (sql.includes("WITH ins AS")) return "start (insert)";
  if (sql.includes("count(*)")) return "count";
  if (sql.includes("unnest($1::text[], $2::int[])")) return "heartbeat";
  if (/^\s*SELECT .* WHERE id = \$1\s*$/s.test(sql)) return "get";
  if (/^\s*(BEGIN|COMMIT|ROLLBACK)/i.test(sql)) return "transaction";
  if (/^\s*LISTEN/i.test(sql)) return "listen";
  const table = /(?:FROM|UPDATE|INTO)\s+"[^"]+"\.(\w+)/.exec(sql)?.[1];
  return table ? `other (${table})` : "other";
}

/** Counts the queries made through every object it wraps. */
export class QueryCounter {
  private stats = new Map<string, QueryStat>();
  private readonly kinds = new Map<string, string>();

  /** Replaces `target.query` with a counting wrapper (an own property; the prototype is untouched). */
  wrap(target: { query: (...args: any[]) => any }): void {
    const original = target.query.bind(target) as (...args: any[]) => any;
    const record = (kind: string, t0: number) => {
      let s = this.stats.get(kind);
      if (!s) this.stats.set(kind, (s = { count: 0, ms: 0 }));
      s.count++;
      s.ms += performance.now() - t0;
    };
    target.query = (...args: any[]) => {
      const first = args[0] as unknown;
      const sql =
        typeof first === "string"
          ? first
          : typeof (first as { text?: unknown })?.text === "string"
            ? (first as { text: string }).text
            : "";
      let kind = this.kinds.get(sql);
      if (kind === undefined) this.kinds.set(sql, (kind = classify(sql)));
      const t0 = performance.now();
      const out = original(...args);
      if (out && typeof (out as Promise<unknown>).then === "function")
        (out as Promise<unknown>).then(
          () => record(kind, t0),
          () => record(kind, t0),
        );
      else record(kind, t0);
      return out;
    };
  }

  reset(): void {
    this.stats = new Map();
  }

  /** The counts since the last reset. */
  snapshot(): Map<string, QueryStat> {
    return new Map([...this.stats].map(([k, v]) => [k, { ...v }]));
  }
}

/**
 * Experiment: makes `pool.query(text, values)` send a named prepared statement
 * (`{ name, text, values }`), so each connection parses and plans each distinct
 * statement once. What a driver change in src would do.
 */
export function prepareStatements(pool: { query: (...args: any[]) => any }): void {
  const original = pool.query.bind(pool) as (...args: any[]) => any;
  const names = new Map<string, string>();
  pool.query = (...args: any[]) => {
    const [text, values] = args as [unknown, unknown];
    if (typeof text !== "string" || !Array.isArray(values) || args.length !== 2)
      return original(...args);
    let name = names.get(text);
    if (name === undefined)
      names.set(text, (name = `b_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`));
    return original({ name, text, values });
  };
}

/** How many statements {@link asyncNotify} rewrote (0: the SQL shape did not match). */
export const asyncNotifyStats = { rewritten: 0 };

const MARK = "\u0001notify\u0001";

/** End index (exclusive) of the parenthesized group opening at `open`, or -1. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * Rewrites the `pg_notify($n, <payload expr>)` calls of a statement's final SELECT list
 * into `MARK || $n || MARK || (<payload expr>)`, so the statement returns each
 * notification instead of sending it. Calls elsewhere (inside a CTE) are left alone.
 */
function liftNotifies(text: string): string | null {
  const finalSelect = text.lastIndexOf("SELECT ");
  let out = "";
  let from = 0;
  let changed = false;
  for (;;) {
    const at = text.indexOf("pg_notify(", from);
    if (at < 0) break;
    const open = at + "pg_notify".length;
    const end = closing(text, open);
    if (end < 0) return null;
    const m = /^\(\s*\$(\d+)\s*,([\s\S]*)\)$/.exec(text.slice(open, end));
    if (at > finalSelect && m) {
      out += text.slice(from, at) + `('${MARK}' || $${m[1]}::text || '${MARK}' || (${m[2]}))`;
      changed = true;
    } else out += text.slice(from, end);
    from = end;
  }
  return changed ? out + text.slice(from) : null;
}

/**
 * Experiment: moves `pg_notify` out of the engine's write statements. The write runs
 * with each notification returned instead of sent; once it has committed, the
 * notifications are sent in one statement of their own whose commit does not wait for
 * the WAL flush (`set_config('synchronous_commit', 'off', true)`), and the engine sees
 * the columns as it would have (empty). Notifications are wake-up hints, so they need
 * no durability; a NOTIFY inside the durable transaction holds PostgreSQL's global
 * notify-queue lock until that transaction's WAL flush, which serializes every
 * notifying commit on the server.
 */
export function asyncNotify(pool: { query: (...args: any[]) => any }): void {
  const original = pool.query.bind(pool) as (...args: any[]) => Promise<{ rows: unknown[] }>;
  const cache = new Map<string, string | null>();
  pool.query = (...args: any[]) => {
    const [text, values] = args as [unknown, unknown];
    if (typeof text !== "string" || !Array.isArray(values) || !/\b(INSERT|UPDATE)\b/.test(text))
      return original(...args);
    let rewritten = cache.get(text);
    if (rewritten === undefined) cache.set(text, (rewritten = liftNotifies(text)));
    if (rewritten === null) return original(...args);
    asyncNotifyStats.rewritten++;
    return original(rewritten, values).then(async (res) => {
      const channels: string[] = [];
      const payloads: string[] = [];
      for (const row of res.rows as Record<string, unknown>[])
        for (const [k, v] of Object.entries(row)) {
          if (typeof v !== "string" || !v.startsWith(MARK)) continue;
          const [, channel = "", payload = ""] = v.split(MARK);
          channels.push(channel);
          payloads.push(payload);
          row[k] = "";
        }
      if (channels.length)
        await original(
          `SELECT set_config('synchronous_commit', 'off', true), pg_notify(c, p)
           FROM unnest($1::text[], $2::text[]) AS n(c, p)`,
          [channels, payloads],
        );
      return res;
    });
  };
}

/** Total count of a snapshot, leaving out the given kinds (and "other" ones: engine upkeep). */
export function totalQueries(stats: Map<string, QueryStat>, except: string[] = []): number {
  let n = 0;
  for (const [kind, s] of stats)
    if (!except.includes(kind) && !kind.startsWith("other")) n += s.count;
  return n;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * CPU ms used so far by each of the given local processes (Linux /proc), or null when
 * /proc is unreadable. Processes that are gone are left out.
 */
export function processCpuMs(pids: number[]): Map<number, number> | null {
  if (!existsSync("/proc/self/stat")) return null;
  const out = new Map<number, number>();
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    // Fields after "(command)": state is field 3; utime and stime are fields 14 and 15.
    const rest = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map((x) => Number(x));
    out.set(pid, (((rest[11] ?? 0) + (rest[12] ?? 0)) * 1000) / ticksPerSecond());
  }
  return out;
}

/** A point in time for {@link cpuSince}. */
export interface CpuMark {
  wall: number;
  /** CPU ms of this process. */
  node: number;
  /** CPU ms of the server processes that count, by pid (null: not measured). */
  pg: Map<number, number> | null;
}

export function cpuMark(pg: Map<number, number> | null): CpuMark {
  const u = process.cpuUsage();
  return { wall: performance.now(), node: (u.user + u.system) / 1000, pg };
}

/** CPU used since `mark`: ms of CPU time, and percent of one core (200 % = two cores busy). */
export function cpuSince(
  mark: CpuMark,
  pgNow: Map<number, number> | null,
): { wallMs: number; nodeMs: number; pgMs: number | null; node: number; pg: number | null } {
  const now = cpuMark(pgNow);
  const wallMs = now.wall - mark.wall;
  const nodeMs = now.node - mark.node;
  let pgMs: number | null = null;
  if (mark.pg && now.pg) {
    pgMs = 0;
    // A process that started during the phase counts from zero.
    for (const [pid, ms] of now.pg) pgMs += ms - (mark.pg.get(pid) ?? 0);
  }
  return {
    wallMs,
    nodeMs,
    pgMs,
    node: (nodeMs / wallMs) * 100,
    pg: pgMs === null ? null : (pgMs / wallMs) * 100,
  };
}
