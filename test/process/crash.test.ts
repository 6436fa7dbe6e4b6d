/**
 * Real crashes: worker engines run in child processes that the test SIGKILLs (or
 * SIGSTOPs), and another process takes the work over once the lease expires.
 *
 * PostgreSQL only: PGlite is an embedded, single-process database, so a second process
 * cannot open it and there is nothing to take over from.
 */
import type pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Durable, type StepExecution } from "../../src/index.js";
import { crashWorkflow, suicideWorkflow } from "./fixtures/workflows.js";
import {
  explained,
  spawnWorker,
  stopWorker,
  waitFor,
  openProcessSchema,
  closeProcessSchema,
} from "./helpers.js";

const STALE_LOCK_TIMEOUT = 1500; // the fixture's default (heartbeat every 300 ms)

interface Effect {
  step: string;
  attempt: number;
  pid: number;
  note: string | null;
  at: Date;
}

const summary = (steps: StepExecution[] | undefined) =>
  (steps ?? []).map((s) => [s.name, s.attempt, s.status, s.error?.type ?? null]);

describe("crash recovery across processes (postgres)", () => {
  let db: pg.Pool;
  let prefix: string;
  let client: Durable;

  const effects = async (id: string, step?: string): Promise<Effect[]> => {
    const { rows } = await db.query<Effect>(
      `SELECT step, attempt, pid, note, at FROM "${prefix}".effects
       WHERE execution_id = $1 AND ($2::text IS NULL OR step = $2) ORDER BY id`,
      [id, step ?? null],
    );
    return rows;
  };

  beforeEach(async () => {
    ({ db, prefix, client } = await openProcessSchema("crash"));
  });

  afterEach(() => closeProcessSchema({ db, prefix, client }));

  it("a SIGKILLed worker's step is taken over after the lease expires and recorded as LeaseExpired", async () => {
    const id = await client.start(crashWorkflow, { n: 1 });
    const first = spawnWorker(prefix, { FIXTURE_HANG: "forever" });
    await first.ready;
    await waitFor("the hang step to start", async () => (await effects(id, "hang")).length, 15_000);

    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    const killedAt = Date.now();
    const second = spawnWorker(prefix);

    const output = await explained([first, second], () => client.result(id, { timeout: 20_000 }));
    expect(output).toEqual({ result: 21 });
    const exec = await client.getExecution(id, { includeSteps: true });
    expect(exec?.status).toBe("completed");
    expect(summary(exec?.steps)).toEqual([
      ["before", 1, "completed", null],
      ["hang", 1, "failed", "LeaseExpired"],
      ["hang", 2, "completed", null],
      ["after", 1, "completed", null],
    ]);
    const lost = exec?.steps?.[1];
    expect(lost?.error?.step).toBe("hang");
    expect(lost?.completedAt).toBeInstanceOf(Date);

    // Side effects: what ran before the crash ran once; the crashed step ran once per attempt.
    const fx = await effects(id);
    expect(fx.map((e) => [e.step, e.attempt, e.pid])).toEqual([
      ["before", 1, first.pid],
      ["hang", 1, first.pid],
      ["hang", 2, second.pid],
      ["after", 1, second.pid],
    ]);
    // No takeover while the lease could still be alive (last heartbeat <= 300 ms before the kill).
    const takeover = fx[2]!.at.getTime();
    expect(takeover - killedAt).toBeGreaterThanOrEqual(STALE_LOCK_TIMEOUT - 300 - 100);

    expect(await stopWorker(second)).toEqual({ code: 0, signal: null });
  });

  it("a paused (SIGSTOP) owner's late result is fenced off after another process took over", async () => {
    const id = await client.start(crashWorkflow, { n: 1 });
    const first = spawnWorker(prefix, { FIXTURE_HANG: "3000" });
    await first.ready;
    await waitFor("the hang step to start", async () => (await effects(id, "hang")).length, 15_000);

    first.child.kill("SIGSTOP");
    const second = spawnWorker(prefix);
    const output = await explained([first, second], () => client.result(id, { timeout: 20_000 }));
    expect(output).toEqual({ result: 21 });
    const done = await client.getExecution(id, { includeSteps: true });

    // Wake the old owner: its attempt finishes (the `late` effect proves it ran on),
    // but whatever it tries to write with its stale lease must be rejected.
    first.child.kill("SIGCONT");
    await waitFor(
      "the paused worker to finish its stale attempt",
      async () => (await effects(id, "hang")).some((e) => e.note === "late" && e.pid === first.pid),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // heartbeats, checkpoint tries
    const after = await client.getExecution(id, { includeSteps: true });
    expect(after?.status).toBe("completed");
    expect(after?.output).toEqual({ result: 21 });
    expect(after?.updatedAt).toEqual(done?.updatedAt);
    expect(summary(after?.steps)).toEqual([
      ["before", 1, "completed", null],
      ["hang", 1, "failed", "LeaseExpired"],
      ["hang", 2, "completed", null],
      ["after", 1, "completed", null],
    ]);
    const fx = await effects(id);
    expect(fx.filter((e) => e.step === "after").map((e) => e.pid)).toEqual([second.pid]);
    expect(fx.filter((e) => e.step === "before")).toHaveLength(1);

    expect(await stopWorker(first)).toEqual({ code: 0, signal: null });
    expect(await stopWorker(second)).toEqual({ code: 0, signal: null });
  });

  it("a step that kills its process every time fails with RecoveryLimitError after maxRecoveries", async () => {
    const id = await client.start(suicideWorkflow, { n: 1 }); // maxRecoveries: 1
    const workers = [];
    let status = "pending";
    while (workers.length < 5) {
      const w = spawnWorker(prefix);
      workers.push(w);
      const ended = await explained(workers, () =>
        waitFor(
          "the worker to die or the execution to end",
          async () => {
            const exec = await client.getExecution(id);
            status = exec?.status ?? "missing";
            if (["completed", "failed"].includes(status)) return "terminal";
            return w.child.exitCode !== null || w.child.signalCode !== null ? "died" : null;
          },
          15_000,
          100,
        ),
      );
      if (ended === "terminal") break;
      expect(w.child.signalCode).toBe("SIGKILL");
    }

    // Two processes killed themselves in `boom`; the third found the limit exceeded.
    expect(workers).toHaveLength(3);
    const exec = await client.getExecution(id, { includeSteps: true });
    expect(exec?.status).toBe("failed");
    expect(exec?.error?.type).toBe("RecoveryLimitError");
    expect(exec?.error?.step).toBe("boom");
    expect(summary(exec?.steps)).toEqual([
      ["first", 1, "completed", null],
      ["boom", 1, "failed", "LeaseExpired"],
      ["boom", 2, "failed", "LeaseExpired"],
    ]);
    const fx = await effects(id);
    expect(fx.map((e) => [e.step, e.attempt, e.pid])).toEqual([
      ["first", 1, workers[0]!.pid],
      ["boom", 1, workers[0]!.pid],
      ["boom", 2, workers[1]!.pid],
    ]);
    expect(await stopWorker(workers[2]!)).toEqual({ code: 0, signal: null });
  });
});
