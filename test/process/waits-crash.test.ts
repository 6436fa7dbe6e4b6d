/**
 * Real crashes between two waits of one step: the worker engine runs in a child process
 * that the test SIGKILLs after the step got its first event and did some work, and
 * another process takes the execution over once the lease expired.
 *
 * PostgreSQL only: PGlite is an embedded, single-process database.
 */
import type pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Durable, type StepExecution } from "../../src/index.js";
import { waitsBetweenWorkflow } from "./fixtures/workflows.js";
import {
  explained,
  spawnWorker,
  stopWorker,
  waitFor,
  openProcessSchema,
  closeProcessSchema,
} from "./helpers.js";

interface Effect {
  step: string;
  attempt: number;
  pid: number;
  note: string | null;
  at: Date;
}

interface Wait {
  seq: number;
  name: string;
  status: string;
  result: unknown;
  created_at: Date;
  completed_at: Date | null;
}

const summary = (steps: StepExecution[] | undefined) =>
  (steps ?? []).map((s) => [s.name, s.attempt, s.status, s.error?.type ?? null]);

describe("a worker killed between two waits of a step (postgres)", () => {
  let db: pg.Pool;
  let prefix: string;
  let client: Durable;

  const effects = async (id: string): Promise<Effect[]> => {
    const { rows } = await db.query<Effect>(
      `SELECT step, attempt, pid, note, at FROM "${prefix}".effects
       WHERE execution_id = $1 ORDER BY id`,
      [id],
    );
    return rows;
  };
  const waits = async (id: string): Promise<Wait[]> => {
    const { rows } = await db.query<Wait>(
      `SELECT seq, name, status, result, created_at, completed_at FROM "${prefix}".waits
       WHERE execution_id = $1 ORDER BY seq`,
      [id],
    );
    return rows;
  };

  beforeEach(async () => {
    ({ db, prefix, client } = await openProcessSchema("waitcrash"));
  });

  afterEach(() => closeProcessSchema({ db, prefix, client }));

  it("replays the answered wait, re-runs the work before the kill, and completes with both payloads", async () => {
    const id = await client.start(waitsBetweenWorkflow, { n: 1 });
    const first = spawnWorker(prefix, { FIXTURE_FLOW_HANG: "between" });
    await first.ready;
    await explained([first], () =>
      waitFor(
        "the step to wait for a",
        async () => (await client.getExecution(id))?.status === "waiting",
        15_000,
      ),
    );
    expect((await client.listPendingEvents({ workflowId: id })).map((p) => p.event)).toEqual(["a"]);

    await client.sendEvent(id, "a", "payload-a");
    await explained([first], () =>
      waitFor("the marker of the first process", async () => (await effects(id)).length, 15_000),
    );
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    const killedAt = Date.now();
    const beforeKill = await waits(id);

    // "b" is sent while the dead process still holds the lease: it waits in the inbox
    // (no process can take the execution over before the lease expires). "a" is never
    // sent again.
    await client.sendEvent(id, "b", "payload-b");
    const second = spawnWorker(prefix);

    const output = await explained([first, second], () => client.result(id, { timeout: 20_000 }));
    expect(output).toEqual({ a: "payload-a", b: "payload-b" });

    const exec = await client.getExecution(id, { includeSteps: true });
    expect(exec?.status).toBe("completed");
    // The suspension at "a", the attempt the kill interrupted (LeaseExpired), and the
    // takeover, which did not suspend: "a" came from its record, "b" from the inbox.
    expect(summary(exec?.steps)).toEqual([
      ["between", 1, "waiting", null],
      ["between", 1, "failed", "LeaseExpired"],
      ["between", 2, "completed", null],
    ]);
    expect(exec?.steps?.[1]?.error?.step).toBe("between");

    // The work between the waits ran once per process: it is before a wait ("b"), so it
    // runs again when the step resumes; both runs saw a's recorded payload.
    const fx = await effects(id);
    expect(fx.map((e) => [e.step, e.attempt, e.pid, e.note])).toEqual([
      ["between", 1, first.pid, "marker:payload-a"],
      ["between", 2, second.pid, "marker:payload-a"],
    ]);
    expect(fx[1]!.at.getTime()).toBeGreaterThan(killedAt);

    // The wait for "a" was not waited again: its one record, answered before the kill,
    // is the one the takeover replayed. The wait for "b" was opened by the takeover only.
    expect(beforeKill.map((w) => [w.seq, w.name, w.status])).toEqual([[1, "a", "completed"]]);
    const after = await waits(id);
    expect(after.map((w) => [w.seq, w.name, w.status, w.result])).toEqual([
      [1, "a", "completed", { event: "a", payload: "payload-a" }],
      [2, "b", "completed", { event: "b", payload: "payload-b" }],
    ]);
    expect(after[0]!.created_at).toEqual(beforeKill[0]!.created_at);
    expect(after[0]!.completed_at).toEqual(beforeKill[0]!.completed_at);
    expect(after[1]!.created_at.getTime()).toBeGreaterThan(killedAt);

    // Each event was consumed once; nothing is left pending.
    const { rows: events } = await db.query<{ name: string; status: string; payload: unknown }>(
      `SELECT name, status, payload FROM "${prefix}".events WHERE execution_id = $1 ORDER BY id`,
      [id],
    );
    expect(events).toEqual([
      { name: "a", status: "consumed", payload: "payload-a" },
      { name: "b", status: "consumed", payload: "payload-b" },
    ]);
    expect(await client.listPendingEvents({ workflowId: id })).toEqual([]);

    expect(await stopWorker(second)).toEqual({ code: 0, signal: null });
  });
});
