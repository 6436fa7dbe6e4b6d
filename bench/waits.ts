/**
 * Wait latencies (issue: waiting and orchestration):
 *  - from `sendEvent` to the waiting step running again (p50, p99),
 *  - from a sleep's due time to the step running again.
 * Usage: `npx tsx bench/waits.ts [--backend postgres|pglite] [--n 200]`
 */
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { createDurable, workflow, type Durable } from "../src/index.js";

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const backends = arg("backend", "postgres,pglite").split(",");
const n = Number(arg("n", "200"));
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(2)} ms  p90 ${pct(xs, 90).toFixed(2)} ms  p99 ${pct(xs, 99).toFixed(2)} ms  max ${Math.max(...xs).toFixed(2)} ms`;

async function run(backend: string): Promise<void> {
  const prefix = `bench_waits_${process.pid}`;
  const database =
    backend === "pglite" ? await PGlite.create() : new pg.Pool({ connectionString: url, max: 10 });
  const resumedAt = new Map<string, number>();
  const dueAt = new Map<string, number>();
  const lateness = new Map<string, number>();
  const evented = workflow<{ k: number }>("bench_event").step("wait", async (_d, ctx) => {
    await ctx.waitForEvent("go");
    resumedAt.set(ctx.workflowId, performance.now());
  });
  const sleeper = workflow<{ ms: number }>("bench_sleep").step("nap", async (d, ctx) => {
    if (!dueAt.has(ctx.workflowId)) dueAt.set(ctx.workflowId, Date.now() + d.ms);
    await ctx.sleep(d.ms);
    lateness.set(ctx.workflowId, Date.now() - dueAt.get(ctx.workflowId)!);
  });
  let durable: Durable | undefined;
  try {
    durable = await createDurable({
      database,
      prefix,
      workflows: [evented, sleeper],
      queues: { default: { concurrency: 50, pollInterval: 1000 } },
    });
    const eventLat: number[] = [];
    for (let i = 0; i < n + 20; i++) {
      const id = await durable.start(evented, { k: i });
      for (;;) {
        const e = await durable.getExecution(id);
        if (e?.status === "waiting") break;
        await new Promise((r) => setTimeout(r, 2));
      }
      const t0 = performance.now();
      await durable.sendEvent(id, "go", { i });
      await durable.result(id, { timeout: 10_000 });
      if (i >= 20) eventLat.push(resumedAt.get(id)! - t0); // first 20: warm-up
    }
    console.log(`[${backend}] sendEvent -> step running again (${n}): ${fmt(eventLat)}`);

    // Sleeps: how late after its due time does a sleeping step run again?
    const ids: string[] = [];
    for (let i = 0; i < Math.min(n, 100); i++)
      ids.push(await durable.start(sleeper, { ms: 4000 + (i % 10) * 50 }));
    await Promise.all(ids.map((id) => durable!.result(id, { timeout: 30_000 })));
    const late = ids.map((id) => lateness.get(id)!);
    console.log(`[${backend}] sleep due -> step running again (${ids.length}): ${fmt(late)}`);
  } finally {
    await durable?.close();
    if (database instanceof pg.Pool) {
      await database.query(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
      await database.end();
    } else await database.close();
  }
}

for (const b of backends) await run(b);
