/**
 * Exactly once, for real: three engine processes share one schema and one per-second
 * schedule for a minute. Every fire from the first to the last must have started
 * exactly one execution (none missing, none doubled), whose step ran exactly once, and
 * each fire must have been reported by exactly one process.
 *
 * PostgreSQL only: PGlite is an embedded, single-process database.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDurable, type Durable } from "../../src/index.js";
import { DATABASE_URL, dropSchema, postgres, uniquePrefix } from "../helpers/backends.js";
import { TICK, scheduleEffectsDdl, tickWorkflow } from "./fixtures/schedule-workflows.js";
import { explained, stopWorker, waitFor, type ChildWorker } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENGINE = fileURLToPath(new URL("./fixtures/schedule-engine.ts", import.meta.url));
const PROCESSES = 3;
const RUN_FOR = 60_000;

/** Starts `fixtures/schedule-engine.ts` in a child process on `prefix`. */
function spawnEngine(prefix: string): ChildWorker {
  const child = spawn(process.execPath, ["--import", "tsx", ENGINE], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL,
      FIXTURE_PREFIX: prefix,
      FIXTURE_PARENT_PID: String(process.pid),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (/^ready \d+$/m.test(out)) resolve();
    });
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    void exited.then(({ code, signal }) =>
      reject(new Error(`engine exited before ready (code ${code}, signal ${signal}):\n${out}`)),
    );
  });
  ready.catch(() => undefined);
  return { child, pid: child.pid ?? -1, ready, exited, output: () => out };
}

/** `fired <ms> <id>` lines a child printed. */
const firedBy = (w: ChildWorker) =>
  [...w.output().matchAll(/^fired (\d+) (\S+)$/gm)].map((m) => ({
    fireAt: Number(m[1]),
    id: m[2]!,
  }));

describe("three engine processes, one per-second schedule (postgres)", () => {
  let db: pg.Pool;
  let prefix: string;
  let client: Durable;
  const workers: ChildWorker[] = [];

  beforeAll(async () => {
    db = (await postgres.database()) as pg.Pool;
    prefix = uniquePrefix("sched3");
    client = await createDurable({
      database: db,
      prefix,
      workflows: [tickWorkflow()],
      queueEnabled: false,
    });
    await db.query(scheduleEffectsDdl(prefix));
  });

  afterAll(async () => {
    for (const w of workers) w.child.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
    await client.close();
    await dropSchema(postgres, prefix);
  });

  it("starts exactly one execution per fire for a minute: none missing, none doubled", async () => {
    for (let i = 0; i < PROCESSES; i++) workers.push(spawnEngine(prefix));
    await Promise.all(workers.map((w) => w.ready));

    const schedule = await client.schedule(TICK, "* * * * * *");
    const first = schedule.nextRunAt!.getTime();
    await new Promise((resolve) => setTimeout(resolve, RUN_FOR));
    const stoppedAt = Date.now();
    await client.disableSchedule(TICK);

    const { rows } = await explained(workers, async () => {
      // A pass under way when the schedule was disabled may still commit: let it, and
      // let every execution finish.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await waitFor(
        "every scheduled execution to complete",
        async () => {
          const failed = await client.countExecutions({ status: "failed" });
          if (failed > 0) throw new Error(`${failed} scheduled executions failed`);
          const all = await client.countExecutions();
          return all > 0 && (await client.countExecutions({ status: "completed" })) === all;
        },
        30_000,
        200,
      );
      return db.query<{ id: string; fire: string }>(
        `SELECT id, (extract(epoch FROM schedule_fire_at) * 1000)::bigint::text AS fire
         FROM "${prefix}".executions WHERE schedule_name = $1 ORDER BY schedule_fire_at`,
        [TICK],
      );
    });
    for (const w of workers) expect(await stopWorker(w)).toEqual({ code: 0, signal: null });

    // Executions: one per second, from the first fire on, with no gap and no double.
    const fires = rows.map((r) => Number(r.fire));
    expect(fires[0]).toBe(first);
    expect(fires).toEqual(fires.map((_, i) => first + i * 1000));
    expect(fires.length).toBeGreaterThanOrEqual(RUN_FOR / 1000 - 2);
    expect(fires[fires.length - 1]).toBeGreaterThanOrEqual(
      Math.floor(stoppedAt / 1000) * 1000 - 2000,
    );
    expect(await client.countExecutions()).toBe(fires.length);

    // Each execution's step ran exactly once.
    const { rows: effects } = await db.query<{ execution_id: string; n: number }>(
      `SELECT execution_id, count(*)::int AS n FROM "${prefix}".sched_effects GROUP BY execution_id`,
    );
    expect(effects.filter((r) => r.n !== 1)).toEqual([]);
    expect(effects.map((r) => r.execution_id).sort()).toEqual(rows.map((r) => r.id).sort());

    // Each fire was reported (schedule.fired) by exactly one process.
    const reported = workers.flatMap(firedBy);
    expect(reported.map((r) => r.fireAt).sort((a, b) => a - b)).toEqual(fires);
    expect(new Map(reported.map((r) => [r.fireAt, r.id]))).toEqual(
      new Map(rows.map((r) => [Number(r.fire), r.id])),
    );
    const byProcess = workers.map((w) => firedBy(w).length);
    console.info(
      `schedule exactly-once: ${fires.length} fires, by process ${byProcess.join(" / ")}`,
    );
    expect(byProcess.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  }, 150_000);
});
