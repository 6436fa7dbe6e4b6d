/**
 * A graceful `close()` is not a crash: the running step finishes and is recorded, the
 * closing engine starts nothing new, and another engine resumes from the next step
 * without a LeaseExpired record or a second run of anything. In-process, on both
 * backends (the two engines share one database and one schema).
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  workflow,
  type AnyWorkflow,
  type DurableOptions,
  type StepExecution,
} from "../../src/index.js";
import { backends, engines, uniquePrefix } from "../helpers/backends.js";

const summary = (steps: StepExecution[] | undefined) =>
  (steps ?? []).map((s) => [s.name, s.attempt, s.status, s.error?.type ?? null]);

function deferred() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(backends)("graceful close on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  /** A workflow whose first step takes `slowMs`, counting every run of every step. */
  function slowWorkflow(name: string, slowMs: number) {
    const runs = { slow: 0, slowDone: 0, next: 0, last: 0 };
    const slowStarted = deferred();
    const signals: AbortSignal[] = [];
    const wf = workflow<{ n: number }>(name)
      .step("slow", async (d, ctx) => {
        runs.slow++;
        signals.push(ctx.signal);
        slowStarted.resolve();
        await new Promise((resolve) => setTimeout(resolve, slowMs));
        runs.slowDone++;
        return { n: d.n + 1 };
      })
      .step("next", (d) => {
        runs.next++;
        return { n: d.n * 10 };
      })
      .step("last", (d) => {
        runs.last++;
        return { result: d.n };
      });
    return { wf, runs, slowStarted: slowStarted.promise, signals };
  }

  /** A client-only engine to start and observe, and a worker engine, on one schema. */
  async function open(wf: AnyWorkflow, extra: Partial<DurableOptions> = {}) {
    const prefix = uniquePrefix("close");
    const observer = await e.open({ prefix, workflows: [wf], queueEnabled: false });
    const worker = await e.open({
      prefix,
      workflows: [wf],
      staleLockTimeout: 1500,
      heartbeatInterval: 300,
      ...extra,
    });
    return { prefix, observer, worker };
  }

  it("lets the running step finish, starts nothing more, and another engine resumes", async () => {
    const { wf, runs, slowStarted } = slowWorkflow("close_wf", 600);
    const { prefix, observer, worker } = await open(wf);
    const id = await observer.start(wf, { n: 1 });
    await slowStarted;

    const began = Date.now();
    await worker.close();
    const closeMs = Date.now() - began;
    expect(closeMs).toBeLessThan(9000); // waited for the step, not for shutdownTimeout (10 s)

    // The step finished under the closing engine and was recorded; nothing more ran.
    expect(runs).toEqual({ slow: 1, slowDone: 1, next: 0, last: 0 });
    const paused = await observer.getExecution(id, { includeSteps: true });
    expect(paused?.status).not.toBe("completed");
    expect(paused?.context).toEqual({ n: 2 });
    expect(summary(paused?.steps)).toEqual([["slow", 1, "completed", null]]);
    expect(paused?.steps?.[0]?.output).toEqual({ n: 2 });

    // Released, not abandoned: a new engine resumes it at "next", with no LeaseExpired record.
    const second = await e.open({
      prefix,
      workflows: [wf],
      staleLockTimeout: 1500,
      heartbeatInterval: 300,
    });
    expect(await second.result(id, { timeout: 10_000 })).toEqual({ result: 20 });
    expect(runs).toEqual({ slow: 1, slowDone: 1, next: 1, last: 1 });
    const done = await observer.getExecution(id, { includeSteps: true });
    expect(done?.status).toBe("completed");
    expect(summary(done?.steps)).toEqual([
      ["slow", 1, "completed", null],
      ["next", 1, "completed", null],
      ["last", 1, "completed", null],
    ]);
  });

  it("a step outliving shutdownTimeout is released without counting a crash", async () => {
    const { wf, runs, slowStarted, signals } = slowWorkflow("close_timeout_wf", 1500);
    const { prefix, observer, worker } = await open(wf, { shutdownTimeout: 200 });
    const id = await observer.start(wf, { n: 1 });
    await slowStarted;

    await worker.close();
    expect(runs.slowDone).toBe(0); // close() did not wait for the step past shutdownTimeout
    expect(signals[0]?.aborted).toBe(true); // the step was told to stop
    const released = await observer.getExecution(id, { includeSteps: true });
    expect(released?.status).not.toBe("completed");
    // The interrupted attempt is neither a failure nor a crash.
    expect((released?.steps ?? []).filter((s) => s.status === "failed")).toEqual([]);

    const second = await e.open({
      prefix,
      workflows: [wf],
      staleLockTimeout: 1500,
      heartbeatInterval: 300,
    });
    expect(await second.result(id, { timeout: 10_000 })).toEqual({ result: 20 });
    expect(runs).toMatchObject({ slow: 2, next: 1, last: 1 });
    const done = await observer.getExecution(id, { includeSteps: true });
    const steps = done?.steps ?? [];
    // The cut-short attempt is recorded, as cancelled (not failed: it used no retry budget).
    expect(steps.map((s) => [s.name, s.attempt, s.status, s.error?.type ?? null])).toEqual([
      ["slow", 1, "cancelled", "ShutdownInterrupted"],
      ["slow", 2, "completed", null],
      ["next", 1, "completed", null],
      ["last", 1, "completed", null],
    ]);
  });
});
