/**
 * Real concurrency: two worker processes on the same schema race for 2,000 executions.
 * Every step must run exactly once, both processes must get work, nothing may fail.
 *
 * PostgreSQL only: PGlite is an embedded, single-process database.
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Durable } from "../../src/index.js";
import { pairWorkflow } from "./fixtures/workflows.js";
import {
  explained,
  spawnWorker,
  stopWorker,
  waitFor,
  openProcessSchema,
  closeProcessSchema,
} from "./helpers.js";

const EXECUTIONS = 2000;

describe("two worker processes on one schema (postgres)", () => {
  let db: pg.Pool;
  let prefix: string;
  let client: Durable;

  beforeAll(async () => {
    ({ db, prefix, client } = await openProcessSchema("contention"));
  });

  afterAll(() => closeProcessSchema({ db, prefix, client }));

  it(`runs ${EXECUTIONS} executions, every step exactly once, work shared by both`, async () => {
    // A lease long enough that a starved process (2 cores, busy CI) keeps its leases:
    // this test is about claims under contention, crash.test.ts about expired leases.
    const env = {
      FIXTURE_CONCURRENCY: "20",
      FIXTURE_POLL_INTERVAL: "50",
      FIXTURE_STALE_LOCK_TIMEOUT: "5000",
      FIXTURE_HEARTBEAT_INTERVAL: "500",
      FIXTURE_POOL_SIZE: "10",
    };
    const workers = [spawnWorker(prefix, env), spawnWorker(prefix, env)];
    await Promise.all(workers.map((w) => w.ready));

    const began = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < EXECUTIONS; i += 10) {
      const batch = Array.from({ length: Math.min(10, EXECUTIONS - i) }, (_, k) =>
        client.start(pairWorkflow, { i: i + k }),
      );
      ids.push(...(await Promise.all(batch)));
    }
    const started = Date.now();
    expect(new Set(ids).size).toBe(EXECUTIONS);

    await explained(workers, () =>
      waitFor(
        `${EXECUTIONS} completed executions`,
        async () => {
          const failed = await client.countExecutions({ status: "failed" });
          if (failed > 0) {
            const some = await client.listExecutions({ status: "failed", limit: 3 });
            const why = some.map((x) => `${x.id}: ${x.error?.type} ${x.error?.message}`);
            throw new Error(`${failed} executions failed, e.g.\n${why.join("\n")}`);
          }
          return (await client.countExecutions({ status: "completed" })) === EXECUTIONS;
        },
        90_000,
        250,
      ),
    );
    const finished = Date.now();
    console.info(
      `contention: started ${EXECUTIONS} in ${started - began} ms, all completed ${finished - began} ms after the first start`,
    );

    expect(await client.countExecutions({})).toBe(EXECUTIONS);
    expect(await client.countExecutions({ status: "completed" })).toBe(EXECUTIONS);

    // Side effects: exactly one per (execution, step), and nothing else.
    const { rows: effectCounts } = await db.query<{ step: string; n: number; execs: number }>(
      `SELECT step, count(*)::int AS n, count(DISTINCT execution_id)::int AS execs
       FROM "${prefix}".effects GROUP BY step ORDER BY step`,
    );
    expect(effectCounts).toEqual([
      { step: "one", n: EXECUTIONS, execs: EXECUTIONS },
      { step: "two", n: EXECUTIONS, execs: EXECUTIONS },
    ]);
    const { rows: doubles } = await db.query(
      `SELECT execution_id, step, count(*)::int AS n FROM "${prefix}".effects
       GROUP BY execution_id, step HAVING count(*) <> 1`,
    );
    expect(doubles).toEqual([]);
    const { rows: strays } = await db.query(
      `SELECT count(*)::int AS n FROM "${prefix}".effects WHERE NOT (execution_id = ANY($1::text[]))`,
      [ids],
    );
    expect(strays).toEqual([{ n: 0 }]);

    const { rows: odd } = await db.query(
      `SELECT execution_id, name, attempt, status, error, started_at, completed_at FROM "${prefix}".steps
       WHERE status <> 'completed' OR attempt <> 1 ORDER BY id`,
    );
    if (odd.length) {
      console.info(`contention: unexpected step records ${JSON.stringify(odd, null, 1)}`);
      const { rows: oddFx } = await db.query(
        `SELECT * FROM "${prefix}".effects WHERE execution_id = ANY($1::text[]) ORDER BY id`,
        [odd.map((r: any) => r.execution_id)],
      );
      console.info(
        `contention: their effects ${JSON.stringify(oddFx, null, 1)} pids ${workers.map((w) => w.pid).join(",")}`,
      );
      for (const w of workers) console.info(`worker ${w.pid} output:\n${w.output()}`);
    }
    // Step records: one completed attempt 1 per (execution, step), no failure of any kind.
    const { rows: stepCounts } = await db.query(
      `SELECT name, status, attempt, count(*)::int AS n FROM "${prefix}".steps
       GROUP BY name, status, attempt ORDER BY name`,
    );
    expect(stepCounts).toEqual([
      { name: "one", status: "completed", attempt: 1, n: EXECUTIONS },
      { name: "two", status: "completed", attempt: 1, n: EXECUTIONS },
    ]);

    // Both processes did work.
    const { rows: byPid } = await db.query<{ pid: number; n: number }>(
      `SELECT pid, count(*)::int AS n FROM "${prefix}".effects GROUP BY pid ORDER BY pid`,
    );
    console.info(`contention: effects by pid ${JSON.stringify(byPid)}`);
    expect(byPid.map((r) => r.pid).sort()).toEqual(workers.map((w) => w.pid).sort());
    for (const r of byPid) expect(r.n).toBeGreaterThan(0);

    // Spot-check outputs.
    const sample = await client.getExecution(ids[1234]!);
    expect(sample?.output).toEqual({ i: 1234, two: true });

    for (const w of workers) expect(await stopWorker(w)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
