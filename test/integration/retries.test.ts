import { afterEach, describe, expect, it } from "vitest";
import { NonRetryableError, workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

describe.each(backends)("retries and timeouts on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("retries a flaky step with durable backoff and records every attempt", async () => {
    let calls = 0;
    const wf = workflow<{ x: number }>("flaky").step(
      "call",
      { retry: { maxAttempts: 4, backoff: "constant", baseDelay: 50, jitter: false } },
      (d) => {
        calls++;
        if (calls < 3) throw new Error(`boom ${calls}`);
        return { y: d.x * 10 };
      },
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { x: 4 });
    expect(await durable.result(id, { timeout: 10_000 })).toEqual({ y: 40 });
    const exec = await durable.getExecution(id, { includeSteps: true });
    const steps = exec!.steps!;
    expect(steps.map((s) => [s.attempt, s.status])).toEqual([
      [1, "failed"],
      [2, "failed"],
      [3, "completed"],
    ]);
    expect(steps[0]!.error).toMatchObject({ type: "Error", message: "boom 1", step: "call" });
    expect(
      steps[1]!.startedAt!.getTime() - steps[0]!.completedAt!.getTime(),
    ).toBeGreaterThanOrEqual(45);
    expect(steps[2]!.input).toEqual({ x: 4 });
  });

  it("does not hold a slot while waiting out a backoff", async () => {
    let slowCalls = 0;
    const slow = workflow("slow_retry").step(
      "s",
      { retry: { maxAttempts: 2, backoff: "constant", baseDelay: 1500, jitter: false } },
      () => {
        slowCalls++;
        if (slowCalls === 1) throw new Error("first fails");
        return "ok";
      },
    );
    const quick = workflow("quick").step("q", () => "done");
    const durable = await e.open({
      workflows: [slow, quick],
      queues: { default: { concurrency: 1, pollInterval: 100 } },
    });
    const a = await durable.start(slow, {});
    await expect.poll(() => slowCalls, { timeout: 5000 }).toBe(1);
    const b = await durable.start(quick, {});
    // With concurrency 1, quick can only run now if the backoff released the slot.
    expect(await durable.result(b, { timeout: 1000 })).toBe("done");
    expect((await durable.getExecution(a))!.status).toBe("running");
    expect(await durable.result(a, { timeout: 10_000 })).toBe("ok");
  });

  it("fails for good after maxAttempts, keeping the last error", async () => {
    const wf = workflow("always_fails").step(
      "bad",
      { retry: { maxAttempts: 2, baseDelay: 10, jitter: false } },
      () => {
        throw new TypeError("nope");
      },
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 10_000 })).rejects.toMatchObject({
      name: "WorkflowFailedError",
      code: "WORKFLOW_FAILED",
      status: "failed",
      error: { type: "TypeError", message: "nope", step: "bad" },
    });
    const exec = await durable.getExecution(id, { includeSteps: true });
    expect(exec!.status).toBe("failed");
    expect(exec!.completedAt).toBeInstanceOf(Date);
    expect(exec!.steps!.map((s) => s.attempt)).toEqual([1, 2]);
  });

  it("NonRetryableError skips the remaining attempts", async () => {
    let calls = 0;
    const wf = workflow("non_retryable").step(
      "s",
      { retry: { maxAttempts: 5, baseDelay: 10 } },
      () => {
        calls++;
        throw new NonRetryableError("card declined");
      },
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 10_000 })).rejects.toMatchObject({
      error: { type: "NonRetryableError", message: "card declined" },
    });
    expect(calls).toBe(1);
  });

  it("a step timeout fails the attempt with StepTimeoutError and aborts ctx.signal", async () => {
    let aborted = 0;
    let attempts = 0;
    const wf = workflow("step_timeout").step(
      "hang",
      { timeout: 100, retry: { maxAttempts: 2, baseDelay: 10, jitter: false } },
      async (_d, ctx) => {
        attempts++;
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted++;
            resolve();
          });
        });
        return "late";
      },
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 10_000 })).rejects.toMatchObject({
      error: { type: "StepTimeoutError", step: "hang" },
    });
    expect(attempts).toBe(2);
    expect(aborted).toBe(2);
  });

  it("a workflow timeout fails the execution with WorkflowTimeoutError", async () => {
    let signalled = false;
    const wf = workflow("wf_timeout", { timeout: 1500 })
      .step("fast", () => ({ ok: true }))
      .step("slow", async (_d, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        signalled = true;
        return "late result, discarded";
      });
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 10_000 })).rejects.toMatchObject({
      error: { type: "WorkflowTimeoutError" },
    });
    const exec = await durable.getExecution(id, { includeSteps: true });
    expect(exec!.steps!.map((s) => [s.name, s.status])).toEqual([
      ["fast", "completed"],
      ["slow", "failed"],
    ]);
    expect(signalled).toBe(true);
    expect(exec!.output).toBeNull();
  });
});
