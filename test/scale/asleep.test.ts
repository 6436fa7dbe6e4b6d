/**
 * Scale: 10,000 executions asleep at once cost rows, not memory, timers or worker slots
 * (spec 4: "no worker slot, no timer, no memory is held while it waits").
 *
 * One engine works on the queue (concurrency 50, and a 30 s poll so that wake-ups come
 * from notifications and its one due-time timer, not from polling). The test:
 * - puts 1,000 then 10,000 executions to sleep for an hour and measures the JS heap
 *   (after a forced GC) with 0, 1,000 and 10,000 asleep: it must stay flat;
 * - counts the pending long timers (>= 30 s) of this process: the queue's one due-time
 *   timer (and at most the scheduler's), never one per execution;
 * - starts a quick workflow: it completes at once (no slot is held by the sleepers);
 * - starts a batch of 2 s sleepers: each wakes within a second of its due time, and
 *   none of the 10,000 wakes.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { workflow, type Durable } from "../../src/index.js";
import { DATABASE_URL, embedded, engines, sql, type Backend } from "../helpers/backends.js";

const ASLEEP = 10_000;
const FIRST = 1_000;
const HOUR = 3_600_000;
const LONG_TIMER = 30_000;

// A forced full GC makes heap sizes comparable. `--expose-gc` cannot be passed to the
// test worker from here, so the flag is set at run time and `gc` taken from a new context.
v8.setFlagsFromString("--expose-gc");
const gc = (globalThis.gc ?? vm.runInNewContext("gc")) as () => void;

async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * Counts this process's pending timers of at least `minDelay` ms (the engine's timers
 * are plain global `setTimeout`s): a timer per sleeping execution would show here.
 */
function trackLongTimers(minDelay: number) {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const pending = new Map<unknown, number>();
  const tracked = ((fn: (...a: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    if (typeof fn !== "function" || typeof delay !== "number" || delay < minDelay)
      return realSet(fn, delay, ...args);
    const t = realSet(
      (...a: unknown[]) => {
        pending.delete(t);
        fn(...a);
      },
      delay,
      ...args,
    );
    pending.set(t, delay);
    return t;
  }) as unknown as typeof setTimeout;
  const custom = (realSet as unknown as Record<symbol, unknown>)[promisify.custom];
  Object.assign(tracked, { [promisify.custom]: custom });
  globalThis.setTimeout = tracked;
  globalThis.clearTimeout = (t?: NodeJS.Timeout | string | number) => {
    pending.delete(t);
    realClear(t);
  };
  return {
    /** Delays (ms) of the tracked timers still pending. */
    pending: () => [...pending.values()],
    restore() {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}

const napper = workflow<{ ms: number }>("scale_napper").step("nap", async (d, ctx) => {
  await ctx.sleep(d.ms);
  return "woke";
});
const quick = workflow("scale_quick").step("go", () => "done");

/** Starts `n` executions, `parallel` at a time. */
async function startMany(durable: Durable, n: number, ms: number, parallel: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, n - i) }, () =>
      durable.start(napper, { ms }),
    );
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

async function countWaiting(backend: Backend, prefix: string, workflowName: string) {
  const rows = await sql<{ n: number }>(
    backend,
    `SELECT count(*)::int AS n FROM "${prefix}".executions
     WHERE workflow = $1 AND status = 'waiting'`,
    [workflowName],
  );
  return rows[0]!.n;
}

async function untilWaiting(backend: Backend, prefix: string, n: number, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const waiting = await countWaiting(backend, prefix, napper.name);
    if (waiting >= n) return waiting;
    if (Date.now() > deadline)
      throw new Error(`only ${waiting} of ${n} executions asleep after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// PostgreSQL through a pool of its own without synchronous commit: 10,000 starts and
// 20,000 checkpoints wait on nothing but the server then (durability on an OS crash is
// not what this test is about), so the file stays within its time budget on a busy host.
let pool: pg.Pool | undefined;
const postgres: Backend = {
  name: "postgres",
  database: async () =>
    (pool ??= new pg.Pool({
      connectionString: DATABASE_URL,
      max: 20,
      options: "-c synchronous_commit=off",
    })),
};
afterAll(async () => {
  await pool?.end();
});

// PGlite runs every query of the process on one embedded connection: 10,000 executions
// take about two minutes there on a busy 2-core host, over this file's budget. Opt in
// with DURABLE_SCALE_PGLITE=1.
const scaleBackends = process.env.DURABLE_SCALE_PGLITE === "1" ? [postgres, embedded] : [postgres];

describe.each(scaleBackends)("10,000 executions asleep at once on $name", (backend) => {
  const e = engines(backend);
  let timers: ReturnType<typeof trackLongTimers> | undefined;
  afterEach(async () => {
    timers?.restore();
    await e.cleanup();
  });

  it("holds no memory, timer or slot per sleeper; wake-ups still come on time", async () => {
    const t0 = Date.now();
    timers = trackLongTimers(LONG_TIMER);
    const prefix = `asleep_${backend.name}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const durable = await e.open({
      prefix,
      workflows: [napper, quick],
      queues: { default: { concurrency: 50, pollInterval: 30_000 } },
    });
    // Warm up (code paths, caches, pool connections) before the baseline.
    await startMany(durable, 50, 1, 25);
    await durable.result(await durable.start(quick, {}), { timeout: 10_000 });
    await expect
      .poll(
        () => sql(backend, `SELECT 1 FROM "${prefix}".executions WHERE status <> 'completed'`),
        {
          timeout: 10_000,
        },
      )
      .toEqual([]);
    const heap0 = await heapUsed();
    const rss0 = process.memoryUsage().rss;

    await startMany(durable, FIRST, HOUR, 25);
    await untilWaiting(backend, prefix, FIRST, 60_000);
    const heap1k = await heapUsed();
    const t1k = Date.now();

    await startMany(durable, ASLEEP - FIRST, HOUR, 25);
    const started = Date.now();
    await untilWaiting(backend, prefix, ASLEEP, backend.name === "pglite" ? 180_000 : 60_000);
    const allAsleep = Date.now();
    const heap10k = await heapUsed();
    const rss10k = process.memoryUsage().rss;
    const longTimers = timers.pending();

    // No slot held: a quick execution runs at once (concurrency is only 50).
    const q0 = Date.now();
    expect(await durable.result(await durable.start(quick, {}), { timeout: 5000 })).toBe("done");
    const quickMs = Date.now() - q0;

    // Wake-ups still work with 10,000 asleep: 2 s sleepers wake within ~1 s of due time.
    const short = await startMany(durable, 50, 2000, 25);
    const outputs = await Promise.all(short.map((id) => durable.result(id, { timeout: 15_000 })));
    expect(outputs.every((o) => o === "woke")).toBe(true);
    // Woken: the resumed step found its sleep due and ended it (waits.completed_at).
    const lags = await sql<{ woke: number; done: number }>(
      backend,
      `SELECT (extract(epoch FROM w.completed_at - w.wake_at) * 1000)::float8 AS woke,
         (extract(epoch FROM e.completed_at - w.wake_at) * 1000)::float8 AS done
       FROM "${prefix}".executions e JOIN "${prefix}".waits w ON w.execution_id = e.id
       WHERE e.id = ANY($1::text[])`,
      [short],
    );
    expect(lags).toHaveLength(short.length);
    const minLag = Math.min(...lags.map((l) => l.woke));
    const maxLag = Math.max(...lags.map((l) => l.woke));
    const maxDoneLag = Math.max(...lags.map((l) => l.done));

    // The sleepers are still asleep, each with one pending sleep wait due in an hour.
    expect(await countWaiting(backend, prefix, napper.name)).toBe(ASLEEP);
    const [waits] = await sql<{ n: number; early: number }>(
      backend,
      `SELECT count(*)::int AS n,
         count(*) FILTER (WHERE e.run_at < now() + interval '50 minutes')::int AS early
       FROM "${prefix}".waits w JOIN "${prefix}".executions e ON e.id = w.execution_id
       WHERE w.status = 'pending' AND w.kind = 'sleep'`,
    );
    expect(waits).toEqual({ n: ASLEEP, early: 0 });

    const report = {
      backend: backend.name,
      heapMB: { zero: mb(heap0), at1k: mb(heap1k), at10k: mb(heap10k) },
      heapGrowthMB: { from0: mb(heap10k - heap0), from1k: mb(heap10k - heap1k) },
      rssGrowthMB: mb(rss10k - rss0),
      longTimers,
      seconds: {
        first1kAsleep: (t1k - t0) / 1000,
        started10k: (started - t0) / 1000,
        all10kAsleep: (allAsleep - t0) / 1000,
        total: (Date.now() - t0) / 1000,
      },
      quickMs,
      wakeLagMs: { min: Math.round(minLag), max: Math.round(maxLag) },
      completedLagMaxMs: Math.round(maxDoneLag),
    };
    console.log(`[asleep] ${JSON.stringify(report)}`);

    // One due-time timer per queue (plus, at most, the scheduler's), not one per sleeper.
    expect(longTimers.length).toBeLessThanOrEqual(2);
    // Flat heap: 9,000 more sleepers add less than ~350 bytes each, and little overall.
    expect(heap10k - heap1k).toBeLessThan(3 * 2 ** 20);
    expect(heap10k - heap0).toBeLessThan(4 * 2 ** 20);
    expect(quickMs).toBeLessThan(3000);
    expect(minLag).toBeGreaterThanOrEqual(0);
    expect(maxLag).toBeLessThan(1000);
  }, 400_000);
});
