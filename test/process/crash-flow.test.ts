/**
 * A SIGKILL in the middle of every node kind, resumed by another process: a child
 * worker runs the execution until a leaf tagged to hang has recorded its side effect,
 * the test SIGKILLs that process, and a second child takes the execution over once the
 * lease expires. The execution must end exactly as an uninterrupted one would, with
 * every side effect done once, except the interrupted leaves (once in each process),
 * and a `LeaseExpired` record for the interrupted leaves only.
 *
 * PostgreSQL only: PGlite is an embedded, single-process database.
 */
import type pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AnyWorkflow,
  type Durable,
  type Execution,
  type StepExecution,
} from "../../src/index.js";
import {
  flowBranchWorkflow,
  flowForEachWorkflow,
  flowGotoWorkflow,
  flowLoopWorkflow,
  flowParallelWorkflow,
  flowSagaWorkflow,
  switchesDdl,
} from "./fixtures/workflows.js";
import {
  explained,
  spawnWorker,
  stopWorker,
  waitFor,
  type ChildWorker,
  openProcessSchema,
  closeProcessSchema,
} from "./helpers.js";

const STALE_LOCK_TIMEOUT = 1500; // the fixture's default (heartbeat every 300 ms)

interface Effect {
  id: string;
  execution_id: string;
  step: string;
  attempt: number;
  pid: number;
  note: string | null;
  at: Date;
}

/** Which process did something: "A" the killed one, "B" the one that took over. */
type Who = "A" | "B";

/** A step record, compactly: path, type, attempt, status, error type. */
const records = (steps: StepExecution[] | undefined) =>
  (steps ?? []).map((s) => [s.path, s.type, s.attempt, s.status, s.error?.type ?? null]);

const leaseExpired = (steps: StepExecution[] | undefined) =>
  (steps ?? []).filter((s) => s.error?.type === "LeaseExpired");

describe("a SIGKILL inside each node kind, resumed in another process (postgres)", () => {
  let db: pg.Pool;
  let prefix: string;
  let client: Durable;

  beforeEach(async () => {
    ({ db, prefix, client } = await openProcessSchema("crashflow"));
    await db.query(switchesDdl(prefix));
  });

  afterEach(() => closeProcessSchema({ db, prefix, client }));

  const allEffects = async (): Promise<Effect[]> => {
    const { rows } = await db.query<Effect>(
      `SELECT id, execution_id, step, attempt, pid, note, at FROM "${prefix}".effects ORDER BY id`,
    );
    return rows;
  };

  const effectsOf = async (id: string, step: string) =>
    (await allEffects()).filter((e) => e.execution_id === id && e.step === step);

  const stepsOf = async (id: string) =>
    (await client.getExecution(id, { includeSteps: true }))?.steps ?? [];

  /**
   * Starts `wf` with `input`, runs it in worker A (whose leaves tagged `hang` hang),
   * waits for `killPoint`, SIGKILLs A, runs `afterKill`, starts worker B, and waits for
   * the execution to end. Checks that B took nothing over while A's lease could still
   * be alive, and that B closes cleanly.
   */
  async function crashAndTakeOver(
    wf: AnyWorkflow,
    input: unknown,
    hang: string[],
    killPoint: (id: string) => Promise<boolean>,
    afterKill: () => Promise<void> = async () => undefined,
  ): Promise<{
    id: string;
    exec: Execution;
    outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    /** Effects of the execution as [step, attempt, note, who]. */
    fx: [string, number, string | null, Who][];
  }> {
    const id = await client.start(wf, input);
    const a = spawnWorker(prefix, { FIXTURE_FLOW_HANG: hang.join(",") });
    const workers: ChildWorker[] = [a];
    await explained(workers, async () => {
      await a.ready;
      await waitFor("the kill point", () => killPoint(id), 20_000);
    });

    a.child.kill("SIGKILL");
    expect((await a.exited).signal).toBe("SIGKILL");
    const killedAt = Date.now();
    await afterKill();
    const b = spawnWorker(prefix);
    workers.push(b);

    const outcome = await explained(workers, () =>
      client.result(id, { timeout: 25_000 }).then(
        (value: unknown) => ({ ok: true as const, value }),
        (error: unknown) => {
          if ((error as { name?: string }).name === "TimeoutError") throw error;
          return { ok: false as const, error };
        },
      ),
    );
    const exec = (await client.getExecution(id, { includeSteps: true }))!;

    const rows = (await allEffects()).filter((e) => e.execution_id === id);
    const who = (pid: number): Who => {
      if (pid === a.pid) return "A";
      if (pid === b.pid) return "B";
      throw new Error(`effect by unknown process ${pid}`);
    };
    const fx = rows.map(
      (e) => [e.step, e.attempt, e.note, who(e.pid)] as [string, number, string | null, Who],
    );
    // No takeover while A's lease could still be alive (last heartbeat <= 300 ms before the kill).
    const firstOfB = rows.find((e) => e.pid === b.pid);
    expect(firstOfB, "worker B did some work").toBeDefined();
    expect(firstOfB!.at.getTime() - killedAt).toBeGreaterThanOrEqual(
      STALE_LOCK_TIMEOUT - 300 - 100,
    );
    // A's effects all precede B's: nothing of A ran on after the kill.
    const kinds = fx.map((f) => f[3]).join("");
    expect(kinds).toMatch(/^A+B+$/);

    expect(await stopWorker(b)).toEqual({ code: 0, signal: null });
    return { id, exec, outcome, fx };
  }

  it("branch: killed inside the chosen case's second step; the recorded case holds even though the selector now picks another", async () => {
    await db.query(`INSERT INTO "${prefix}".switches VALUES ('route', 'fast')`);
    const { id, exec, outcome, fx } = await crashAndTakeOver(
      flowBranchWorkflow,
      { n: 7 },
      ["fast_finish"],
      async (id) => (await effectsOf(id, "fast_finish")).length > 0,
      // Were the selector run again, it would now choose the `slow` case.
      () =>
        db
          .query(`UPDATE "${prefix}".switches SET value = 'slow' WHERE name = 'route'`)
          .then(() => undefined),
    );

    expect(outcome).toEqual({
      ok: true,
      value: { n: 7, execId: id, prepared: "fast", finished: "fast", done: true },
    });
    expect(exec.status).toBe("completed");
    expect(fx).toEqual([
      ["load", 1, null, "A"],
      ["route", 0, "fast", "A"], // the selector ran once, before the crash
      ["fast_prepare", 1, null, "A"],
      ["fast_finish", 1, null, "A"],
      ["fast_finish", 2, null, "B"],
      ["done", 1, null, "B"],
    ]);
    expect(records(exec.steps)).toEqual([
      [["load"], "step", 1, "completed", null],
      [["route"], "branch", 1, "completed", null],
      [["route", "fast_prepare"], "step", 1, "completed", null],
      [["route", "fast_finish"], "step", 1, "failed", "LeaseExpired"],
      [["route", "fast_finish"], "step", 2, "completed", null],
      [["done"], "step", 1, "completed", null],
    ]);
    expect(exec.steps![1]!.output).toEqual({ case: "fast" });
    expect(leaseExpired(exec.steps).map((s) => [s.name, s.error?.step])).toEqual([
      ["fast_finish", "fast_finish"],
    ]);
  });

  it("parallel: two children finished, killed while the third hangs; only the third runs again", async () => {
    const { exec, outcome, fx } = await crashAndTakeOver(
      flowParallelWorkflow,
      { userId: "u1" },
      ["prefs"],
      async (id) => {
        if ((await effectsOf(id, "prefs")).length === 0) return false;
        const done = (await stepsOf(id)).filter((s) => s.status === "completed");
        return done.length === 2; // user and orders are recorded as finished
      },
    );

    expect(outcome).toEqual({
      ok: true,
      value: {
        userId: "u1",
        __results__: {
          user: { ok: true, value: "user:u1" },
          orders: { ok: true, value: "orders:u1" },
          prefs: { ok: true, value: "prefs:u1" },
        },
        after: true,
      },
    });
    expect(exec.status).toBe("completed");
    // The siblings' side effects happened once, in A; the hanging child once in each.
    expect([...fx].sort()).toEqual(
      [
        ["user", 1, null, "A"],
        ["orders", 1, null, "A"],
        ["prefs", 1, null, "A"],
        ["prefs", 2, null, "B"],
        ["after", 1, null, "B"],
      ].sort(),
    );
    const recs = records(exec.steps);
    // user and orders finished in A (in either order), then B's records.
    expect(recs.slice(0, 2).sort()).toEqual(
      [
        [["fetch", "orders"], "step", 1, "completed", null],
        [["fetch", "user"], "step", 1, "completed", null],
      ].sort(),
    );
    expect(recs.slice(2)).toEqual([
      [["fetch", "prefs"], "step", 1, "failed", "LeaseExpired"],
      [["fetch", "prefs"], "step", 2, "completed", null],
      [["fetch"], "parallel", 1, "completed", null],
      [["after"], "step", 1, "completed", null],
    ]);
    expect(leaseExpired(exec.steps).map((s) => s.path)).toEqual([["fetch", "prefs"]]);
  });

  it("forEach: 20 items, concurrency 4, killed after 10 finished with 4 in flight; finished items never run again", async () => {
    const items = Array.from({ length: 20 }, (_, i) => i + 1);
    const inFlight = [10, 11, 12, 13];
    const { exec, outcome, fx } = await crashAndTakeOver(
      flowForEachWorkflow,
      { items },
      // In A every item from 10 on hangs: lanes take 10-13 and stay there.
      items.slice(10).map((_, k) => `send.${10 + k}`),
      async (id) => {
        const started = new Set((await effectsOf(id, "send")).map((e) => Number(e.note)));
        if (!inFlight.every((i) => started.has(i))) return false;
        const done = (await stepsOf(id)).filter(
          (s) => s.type === "step" && s.status === "completed",
        );
        return done.length === 10;
      },
    );

    const expected = items.map((item, index) => ({
      ok: true,
      value: { index, square: item * item },
    }));
    expect(outcome).toEqual({ ok: true, value: { count: 20, results: expected } });
    expect(exec.status).toBe("completed");

    // Side effects per item: 0-9 once in A; 10-13 (in flight) once in A and once in B;
    // 14-19 once in B.
    const perItem = new Map<number, string[]>();
    for (const [step, attempt, note, who] of fx) {
      if (step !== "send") continue;
      const list = perItem.get(Number(note)) ?? [];
      list.push(`${attempt}${who}`);
      perItem.set(Number(note), list);
    }
    expect([...perItem.keys()].sort((x, y) => x - y)).toEqual(items.map((_, i) => i));
    for (const [index, runs] of perItem) {
      const want = index < 10 ? ["1A"] : index < 14 ? ["1A", "2B"] : ["1B"];
      expect(runs, `item ${index}`).toEqual(want);
    }
    expect(fx.filter((f) => f[0] === "after")).toEqual([["after", 1, null, "B"]]);

    // Records: the block's running/completed markers; per item its attempts.
    const steps = exec.steps!;
    expect(steps.filter((s) => s.type === "forEach").map((s) => [s.path, s.status])).toEqual([
      [["send"], "running"],
      [["send"], "completed"],
    ]);
    expect(steps[0]!.type).toBe("forEach");
    const perPath = new Map<number, unknown[]>();
    for (const s of steps.filter((s) => s.type === "step" && s.path[0] === "send")) {
      expect(s.path).toHaveLength(2);
      const list = perPath.get(Number(s.path[1])) ?? [];
      list.push([s.attempt, s.status, s.error?.type ?? null]);
      perPath.set(Number(s.path[1]), list);
    }
    expect(perPath.size).toBe(20);
    for (const [index, list] of perPath) {
      const want =
        index >= 10 && index < 14
          ? [
              [1, "failed", "LeaseExpired"],
              [2, "completed", null],
            ]
          : [[1, "completed", null]];
      expect(list, `records of item ${index}`).toEqual(want);
    }
    expect(
      leaseExpired(steps)
        .map((s) => s.path)
        .sort((x, y) => Number(x[1]) - Number(y[1])),
    ).toEqual(inFlight.map((i) => ["send", i]));
    expect(steps.at(-1)!.path).toEqual(["after"]);
  });

  it("loop: killed in iteration 2 of 4; iterations 0-1 are not run again and the final value is right", async () => {
    const { exec, outcome, fx } = await crashAndTakeOver(
      flowLoopWorkflow,
      { i: 0, sum: 0 },
      ["bump.2"],
      async (id) => (await effectsOf(id, "bump")).some((e) => e.note === "2"),
    );

    expect(outcome).toEqual({ ok: true, value: { i: 4, sum: 100, after: true } });
    expect(exec.status).toBe("completed");
    expect(fx).toEqual([
      ["check", 1, "0", "A"],
      ["bump", 1, "0", "A"],
      ["check", 1, "1", "A"],
      ["bump", 1, "1", "A"],
      ["check", 1, "2", "A"],
      ["bump", 1, "2", "A"],
      ["bump", 2, "2", "B"],
      ["check", 1, "3", "B"],
      ["bump", 1, "3", "B"],
      ["after", 1, null, "B"],
    ]);
    expect(records(exec.steps)).toEqual([
      [["poll", 0, "check"], "step", 1, "completed", null],
      [["poll", 0, "bump"], "step", 1, "completed", null],
      [["poll", 1, "check"], "step", 1, "completed", null],
      [["poll", 1, "bump"], "step", 1, "completed", null],
      [["poll", 2, "check"], "step", 1, "completed", null],
      [["poll", 2, "bump"], "step", 1, "failed", "LeaseExpired"],
      [["poll", 2, "bump"], "step", 2, "completed", null],
      [["poll", 3, "check"], "step", 1, "completed", null],
      [["poll", 3, "bump"], "step", 1, "completed", null],
      [["poll"], "loop", 1, "completed", null],
      [["after"], "step", 1, "completed", null],
    ]);
    expect(leaseExpired(exec.steps).map((s) => s.path)).toEqual([["poll", 2, "bump"]]);
  });

  it("decision/goto: killed in the jumped-to step; the skipped steps never run", async () => {
    const { exec, outcome, fx } = await crashAndTakeOver(
      flowGotoWorkflow,
      { n: 1 },
      ["deep"],
      async (id) => (await effectsOf(id, "deep")).length > 0,
    );

    expect(outcome).toEqual({ ok: true, value: { n: 21, jumped: true, deep: true, final: true } });
    expect(exec.status).toBe("completed");
    expect(fx).toEqual([
      ["intake", 1, null, "A"],
      ["triage", 1, null, "A"],
      ["deep", 1, null, "A"],
      ["deep", 2, null, "B"],
      ["final", 1, null, "B"],
    ]);
    expect(records(exec.steps)).toEqual([
      [["intake"], "step", 1, "completed", null],
      [["triage"], "decision", 1, "completed", null],
      [["deep"], "step", 1, "failed", "LeaseExpired"],
      [["deep"], "step", 2, "completed", null],
      [["final"], "step", 1, "completed", null],
    ]);
    expect(leaseExpired(exec.steps).map((s) => s.path)).toEqual([["deep"]]);
  });

  it("compensation: killed during the second of three compensations; the first is not run again and the chain completes", async () => {
    const { exec, outcome, fx } = await crashAndTakeOver(
      flowSagaWorkflow,
      { order: "o1" },
      ["refund"],
      async (id) => (await effectsOf(id, "refund")).length > 0,
    );

    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toMatchObject({
      name: "WorkflowFailedError",
      status: "compensated",
      error: { type: "NonRetryableError", message: "confirmation refused", step: "confirm" },
    });
    expect(exec.status).toBe("compensated");
    expect(exec.error).toMatchObject({ message: "confirmation refused", step: "confirm" });
    expect(exec.compensatedAt).toBeInstanceOf(Date);
    expect(exec.compensationResults).toEqual([
      { step: "ship", compensation: "recall", status: "completed" },
      { step: "charge", compensation: "refund", status: "completed" },
      { step: "reserve", compensation: "release", status: "completed" },
    ]);
    expect(fx).toEqual([
      ["reserve", 1, null, "A"],
      ["charge", 1, null, "A"],
      ["ship", 1, null, "A"],
      ["confirm", 1, null, "A"],
      ["recall", 1, "S-o1", "A"],
      ["refund", 1, "P-o1", "A"],
      ["refund", 2, "P-o1", "B"],
      ["release", 1, "R-o1", "B"],
    ]);
    expect(
      exec.steps!.map((s) => [
        s.path,
        s.type,
        s.attempt,
        s.status,
        s.error?.type ?? null,
        s.compensationFor ?? null,
      ]),
    ).toEqual([
      [["reserve"], "step", 1, "completed", null, null],
      [["charge"], "step", 1, "completed", null, null],
      [["ship"], "step", 1, "completed", null, null],
      [["confirm"], "step", 1, "failed", "NonRetryableError", null],
      [["recall", "ship"], "compensation", 1, "completed", null, "ship"],
      [["refund", "charge"], "compensation", 1, "failed", "LeaseExpired", "charge"],
      [["refund", "charge"], "compensation", 2, "completed", null, "charge"],
      [["release", "reserve"], "compensation", 1, "completed", null, "reserve"],
    ]);
    expect(leaseExpired(exec.steps).map((s) => s.path)).toEqual([["refund", "charge"]]);
  });
});
