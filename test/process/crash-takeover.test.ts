/**
 * Regression (PostgreSQL, child processes): after a takeover, only leaves that were in
 * flight when the owner died get a LeaseExpired record. When the new owner's first
 * write is a forEach record (its `running` marker, or its `completed` record after
 * `into`), the leaves after it never started in the killed process and must not be
 * charged a crash.
 */
import type pg from "pg";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type Durable } from "../../src/index.js";

import { flowForEachIntoWorkflow } from "./fixtures/workflows.js";
import { spawnWorker, waitFor, openProcessSchema, closeProcessSchema } from "./helpers.js";

let db: pg.Pool;
let prefix: string;
let client: Durable;
beforeEach(async () => {
  ({ db, prefix, client } = await openProcessSchema("repro"));
});
afterEach(() => closeProcessSchema({ db, prefix, client }));

const steps = async (id: string) =>
  (await client.getExecution(id, { includeSteps: true }))?.steps ?? [];

async function crash(hang: string, ready: (id: string) => Promise<boolean>) {
  const id = await client.start(flowForEachIntoWorkflow, { items: [1, 2, 3] });
  const a = spawnWorker(prefix, { FIXTURE_FLOW_HANG: hang });
  await a.ready;
  await waitFor("the kill point", () => ready(id), 20_000);
  await new Promise((r) => setTimeout(r, 300)); // the tagged function is hanging now
  a.child.kill("SIGKILL");
  await a.exited;
  spawnWorker(prefix);
  expect(await client.result(id, { timeout: 20_000 })).toEqual({
    items: [1, 2, 3],
    total: 12,
    after: true,
  });
  const { rows } = await db.query<{ step: string; attempt: number; note: string | null }>(
    `SELECT step, attempt, note FROM "${prefix}".effects ORDER BY id`,
  );
  return { steps: await steps(id), effects: rows };
}

it("kill inside a forEach `into`: `after` never started in the killed process and gets no LeaseExpired record", async () => {
  const r = await crash(
    "collect.into",
    async (id) =>
      (await steps(id)).filter((s) => s.type === "step" && s.status === "completed").length === 3,
  );
  expect(r.effects.filter((e) => e.step === "after")).toEqual([
    { step: "after", attempt: 1, note: null },
  ]); // ran once
  expect(r.steps.filter((s) => s.error?.type === "LeaseExpired").map((s) => s.path)).toEqual([]);
});

it("kill inside a forEach items function: item 0 never started and gets no LeaseExpired record", async () => {
  const r = await crash(
    "collect.items",
    async (id) => (await client.getExecution(id))?.status === "running",
  );
  expect(r.effects.filter((e) => e.step === "collect" && e.note === "0")).toEqual([
    { step: "collect", attempt: 1, note: "0" },
  ]);
  expect(r.steps.filter((s) => s.error?.type === "LeaseExpired").map((s) => s.path)).toEqual([]);
});
