/**
 * forEach scale (issue: control flow): one execution with N items, on PostgreSQL and
 * PGlite: wall time, step records and database size, and the engine's heap, for
 * N = 1,000 and 10,000, to show growth is linear.
 * Usage: `npx tsx bench/foreach.ts [--backend postgres,pglite] [--sizes 1000,10000] [--concurrency 10]`
 */
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { createDurable, workflow } from "../src/index.js";

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const backends = arg("backend", "postgres,pglite").split(",");
const sizes = arg("sizes", "1000,10000").split(",").map(Number);
const concurrency = Number(arg("concurrency", "10"));
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const wf = workflow<{ n: number }>("bench_foreach").forEach(
  "each",
  (d) => Array.from({ length: d.n }, (_, i) => ({ i })),
  (item) => ({ doubled: item.i * 2 }),
  { concurrency },
);

for (const backend of backends) {
  for (const n of sizes) {
    const prefix = `bench_fe_${process.pid}_${n}`;
    const database =
      backend === "pglite"
        ? await PGlite.create()
        : new pg.Pool({ connectionString: url, max: 10 });
    const q = async (sql: string) =>
      database instanceof pg.Pool
        ? (await database.query(sql)).rows
        : (await database.query(sql)).rows;
    const durable = await createDurable({
      database,
      prefix,
      workflows: [wf],
      queues: { default: { concurrency: 1, pollInterval: 200 } },
    });
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const id = await durable.start(wf, { n });
    const out = (await durable.result(id, { timeout: 600_000 })) as { __results__: unknown[] };
    const ms = performance.now() - t0;
    const heap1 = process.memoryUsage().heapUsed;
    const [rows] = await q(
      `SELECT count(*)::int AS records, pg_total_relation_size('"${prefix}".steps')::bigint AS bytes FROM "${prefix}".steps`,
    );
    console.log(
      `[${backend}] forEach ${n} items (concurrency ${concurrency}): ${(ms / 1000).toFixed(2)} s, ` +
        `${Math.round(n / (ms / 1000))} items/s, ${rows!.records} step records, ` +
        `steps table ${(Number(rows!.bytes) / 1024 / 1024).toFixed(1)} MiB, ` +
        `heap +${((heap1 - heap0) / 1024 / 1024).toFixed(1)} MiB, results ${out.__results__.length}`,
    );
    await durable.close();
    if (database instanceof pg.Pool) {
      await database.query(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
      await database.end();
    } else await database.close();
  }
}
