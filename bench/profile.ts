/**
 * Profiling aid for PostgreSQL (not part of `npm run bench`):
 *
 *   npx tsx bench/profile.ts [--executions 10000] [--concurrency 50]
 *
 * Stores executions with a client-only engine, then prints EXPLAIN (ANALYZE, BUFFERS)
 * of the engine's claim statement (captured from a real claim on a scratch schema) on
 * the full queue (inside a rolled-back transaction, so nothing
 * is claimed), runs them all with a worker engine, and prints the table statistics
 * (HOT updates, dead tuples), WAL flushes per execution and the claim plan again on
 * the churned table. Uses a fresh schema and drops it.
 * @module
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { createDurable, workflow } from "../src/index.js";

const { values } = parseArgs({
  options: {
    executions: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "50" },
    "database-url": { type: "string" },
  },
});
const n = Number(values.executions);
const concurrency = Number(values.concurrency);
const url =
  values["database-url"] ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const prefix = `bench_profile_${process.pid}`;
const admin = new pg.Pool({ connectionString: url, max: 2 });

const flow = workflow<{ i: number }>("bench_profile")
  .step("s1", () => undefined)
  .step("s2", () => undefined)
  .step("s3", () => undefined);

/** The engine's own claim statement and parameters, captured from a real claim. */
let claim: { text: string; values: unknown[]; at: number } | undefined;

/**
 * Runs one execution on a scratch schema through a pool whose `query` is wrapped, to
 * capture the claim statement the engine really sends (so the EXPLAIN follows src).
 */
async function captureClaim(): Promise<void> {
  const scratch = `${prefix}_scratch`;
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const original = pool.query.bind(pool) as (...args: any[]) => any;
  (pool as { query: (...args: any[]) => any }).query = (...args: any[]) => {
    const [text, values] = args as [unknown, unknown[]];
    if (!claim && typeof text === "string" && text.includes("SKIP LOCKED"))
      claim = { text, values: [...values], at: Date.now() };
    return original(...args);
  };
  try {
    const engine = await createDurable({
      database: pool,
      prefix: scratch,
      workflows: [flow],
      queues: { default: { concurrency } },
    });
    await engine.result(await engine.start(flow, { i: 0 }), { timeout: 30_000 });
    await engine.close();
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${scratch}" CASCADE`);
    await pool.end();
  }
  if (!claim) throw new Error("no claim statement seen");
  claim.text = claim.text.split(`"${scratch}"`).join(`"${prefix}"`);
}

async function explainClaim(title: string): Promise<void> {
  if (!claim) return;
  const client = await admin.connect();
  try {
    await client.query("BEGIN");
    // Times move with the clock (now, lease expiry); everything else is as captured.
    const shift = Date.now() - claim.at;
    const values = claim.values.map((v) => (v instanceof Date ? new Date(v.getTime() + shift) : v));
    const { rows } = await client.query<{ "QUERY PLAN": string }>(
      `EXPLAIN (ANALYZE, BUFFERS, TIMING) ${claim.text}`,
      values,
    );
    console.log(`\n== ${title}`);
    for (const r of rows) console.log(`  ${r["QUERY PLAN"]}`);
  } finally {
    await client.query("ROLLBACK");
    client.release();
  }
}

async function walStats(): Promise<{ records: number; syncs: number; bytes: number } | null> {
  try {
    const { rows } = await admin.query<{
      wal_records: string;
      wal_sync: string;
      wal_bytes: string;
    }>("SELECT wal_records, wal_sync, wal_bytes FROM pg_stat_wal");
    const r = rows[0];
    return r
      ? { records: Number(r.wal_records), syncs: Number(r.wal_sync), bytes: Number(r.wal_bytes) }
      : null;
  } catch {
    return null;
  }
}

async function tableStats(): Promise<void> {
  await admin.query("SELECT pg_stat_force_next_flush()").catch(() => undefined);
  const { rows } = await admin.query(
    `SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_live_tup, n_dead_tup,
            pg_size_pretty(pg_total_relation_size(relid)) AS total_size
     FROM pg_stat_user_tables WHERE schemaname = $1 ORDER BY relname`,
    [prefix],
  );
  console.log("\n== table statistics");
  console.table(rows);
  const idx = await admin.query(
    `SELECT indexrelname, idx_scan, idx_tup_read, pg_size_pretty(pg_relation_size(indexrelid)) AS size
     FROM pg_stat_user_indexes WHERE schemaname = $1 ORDER BY indexrelname`,
    [prefix],
  );
  console.table(idx.rows);
}

async function main(): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
  try {
    await captureClaim();
    const client = await createDurable({
      database: url,
      prefix,
      workflows: [flow],
      queueEnabled: false,
    });
    let next = 0;
    const lane = async () => {
      while (next < n) await client.start(flow, { i: next++ });
    };
    let t = performance.now();
    await Promise.all(Array.from({ length: 50 }, lane));
    console.log(`stored ${n} executions in ${((performance.now() - t) / 1000).toFixed(2)} s`);
    await client.close();
    await admin.query(`ANALYZE "${prefix}".executions`);
    await explainClaim(`claim of ${concurrency} on a queue of ${n} pending executions`);

    const wal0 = await walStats();
    let done = 0;
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((r) => (resolveAll = r));
    t = performance.now();
    const worker = await createDurable({
      database: url,
      prefix,
      workflows: [flow],
      queues: { default: { concurrency } },
    });
    worker.on("workflow.completed", () => {
      if (++done === n) resolveAll();
    });
    await all;
    const seconds = (performance.now() - t) / 1000;
    const wal1 = await walStats();
    console.log(
      `\nran ${n} executions in ${seconds.toFixed(2)} s (${(n / seconds).toFixed(0)} exec/s)`,
    );
    if (wal0 && wal1)
      console.log(
        `WAL while running (whole server): ${((wal1.records - wal0.records) / n).toFixed(1)} records, ` +
          `${((wal1.bytes - wal0.bytes) / n / 1024).toFixed(1)} KiB and ` +
          `${((wal1.syncs - wal0.syncs) / n).toFixed(2)} WAL flushes (fsync) per execution; ` +
          `${((wal1.syncs - wal0.syncs) / seconds).toFixed(0)} flushes/s`,
      );
    await worker.close();
    await tableStats();
    await explainClaim(
      "claim on the same queue once every execution completed (churned table, empty result)",
    );
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
    await admin.end();
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    console.error(`${signal}: dropping ${prefix}`);
    void admin
      .query(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`)
      .then(() => admin.query(`DROP SCHEMA IF EXISTS "${prefix}_scratch" CASCADE`))
      .catch(() => undefined)
      .finally(() => process.exit(1));
  });

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
