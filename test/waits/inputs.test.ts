import { afterEach, describe, expect, it } from "vitest";
import { workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

const pendingOf = async (d: { listPendingInputs(o: object): Promise<unknown[]> }, id: string) =>
  (await d.listPendingInputs({ workflowId: id })).length;

describe.each(backends)("human input on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("approval: request listed with its details, answered once, normalized", async () => {
    const wf = workflow<{ amount: number }>("expense").step("approve", async (d, ctx) => {
      const decision = await ctx.waitForApproval("manager", {
        prompt: `Approve ${d.amount}?`,
        metadata: { amount: d.amount, at: new Date("2026-01-01T00:00:00Z") },
      });
      return { decision };
    });
    const durable = await e.open({ workflows: [wf] });
    const seen: string[] = [];
    durable.on("input.requested", () => seen.push("requested"));
    durable.on("input.provided", () => seen.push("provided"));
    const id = await durable.start(wf, { amount: 120 });
    await expect.poll(() => pendingOf(durable, id), { timeout: 5000 }).toBe(1);
    const [req] = await durable.listPendingInputs({ workflowId: id });
    expect(req).toMatchObject({
      workflowId: id,
      name: "manager",
      stepName: "approve",
      type: "approval",
      prompt: "Approve 120?",
      metadata: { amount: 120, at: new Date("2026-01-01T00:00:00Z") },
      status: "pending",
      response: null,
    });
    await expect(durable.provideInput(id, "manager", "maybe")).rejects.toMatchObject({
      name: "ValidationError",
    });
    expect(await pendingOf(durable, id)).toBe(1); // nothing consumed
    await durable.provideInput(id, "manager", { approved: true });
    await expect(durable.provideInput(id, "manager", true)).rejects.toMatchObject({
      name: "InvalidStateError",
    });
    expect(await durable.result(id, { timeout: 5000 })).toEqual({ decision: "approved" });
    const [done] = await durable.listPendingInputs({ workflowId: id, status: "completed" });
    expect(done).toMatchObject({ status: "completed", response: "approved" });
    expect(done!.completedAt).toBeInstanceOf(Date);
    expect(seen).toEqual(["requested", "provided"]);
  });

  it("choices and forms are validated; wrong answers consume nothing", async () => {
    const wf = workflow("survey")
      .step("pick", async (_d, ctx) =>
        ctx.waitForChoice("color", {
          choices: [{ value: "red" }, { value: "blue", label: "Blue" }],
        }),
      )
      .step("form", async (color, ctx) => ({
        color,
        form: await ctx.waitForForm("details", {
          fields: [
            { name: "email", type: "email", required: true },
            { name: "age", type: "number" },
            { name: "size", type: "select", options: ["s", "m"] },
          ],
        }),
      }));
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect.poll(() => pendingOf(durable, id), { timeout: 5000 }).toBe(1);
    await expect(durable.provideInput(id, "color", "green")).rejects.toMatchObject({
      name: "ValidationError",
      message: expect.stringContaining("green"),
    });
    await expect(durable.provideInput(id, "details", {})).rejects.toMatchObject({
      name: "InvalidStateError",
    });
    await durable.provideInput(id, "color", "blue");
    await expect
      .poll(async () => (await durable.listPendingInputs({ workflowId: id }))[0]?.name, {
        timeout: 5000,
      })
      .toBe("details");
    const err = await durable
      .provideInput(id, "details", { age: "old", size: "xl", extra: 1 })
      .catch((x: unknown) => x);
    expect(err).toMatchObject({ name: "ValidationError" });
    const paths = (err as { issues: { path: string[] }[] }).issues.map((i) => i.path[0]).sort();
    expect(paths).toEqual(["age", "email", "extra", "size"]);
    await durable.provideInput(id, "details", { email: "a@b.co", age: 30, size: "m" });
    expect(await durable.result(id, { timeout: 5000 })).toEqual({
      color: "blue",
      form: { email: "a@b.co", age: 30, size: "m" },
    });
  });

  it("two concurrent answers: exactly one wins", async () => {
    const wf = workflow("race").step("s", async (_d, ctx) => ctx.waitForText("note"));
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect.poll(() => pendingOf(durable, id), { timeout: 5000 }).toBe(1);
    const results = await Promise.allSettled([
      durable.provideInput(id, "note", "first"),
      durable.provideInput(id, "note", "second"),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ name: "InvalidStateError" });
    expect(["first", "second"]).toContain(await durable.result(id, { timeout: 5000 }));
  });

  it("input timeouts: resume with timeoutValue, or fail the workflow with onTimeout fail", async () => {
    const soft = workflow("soft_input").step("s", async (_d, ctx) =>
      ctx.waitForApproval("ok", { timeout: 200, timeoutValue: "rejected" }),
    );
    const hard = workflow("hard_input").step(
      "s",
      { retry: { maxAttempts: 3, baseDelay: 10 } },
      async (_d, ctx) => ctx.waitForText("note", { timeout: 200, onTimeout: "fail" }),
    );
    const durable = await e.open({ workflows: [soft, hard] });
    const a = await durable.start(soft, {});
    const b = await durable.start(hard, {});
    expect(await durable.result(a, { timeout: 5000 })).toBe("rejected");
    await expect(durable.result(b, { timeout: 5000 })).rejects.toMatchObject({
      error: { type: "WaitTimeoutError" },
    });
    const steps = (await durable.getExecution(b, { includeSteps: true }))!.steps!;
    expect(steps.filter((s) => s.status === "failed")).toHaveLength(1); // not retried
    expect((await durable.listPendingInputs({ workflowId: b, status: "timeout" }))[0]!.name).toBe(
      "note",
    );
    await expect(durable.provideInput(b, "note", "late")).rejects.toMatchObject({
      name: "InvalidStateError",
    });
  });
});

describe.each(backends)("waits when an execution ends on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("a workflow timeout cancels its pending input; answering it is InvalidStateError", async () => {
    const wf = workflow("boss_timeout", { timeout: 500 }).step("s", async (_d, ctx) =>
      ctx.waitForApproval("boss"),
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      error: { type: "WorkflowTimeoutError" },
    });
    expect(await durable.listPendingInputs({ workflowId: id })).toEqual([]);
    expect(
      (await durable.listPendingInputs({ workflowId: id, status: "cancelled" })).map((i) => i.name),
    ).toEqual(["boss"]);
    await expect(durable.provideInput(id, "boss", true)).rejects.toMatchObject({
      name: "InvalidStateError",
    });
  });

  it("retry after a wait timeout waits afresh; cleanup removes the waits too", async () => {
    const wf = workflow("retry_wait").step("s", async (_d, ctx) =>
      ctx.waitForText("note", { timeout: 300 }),
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      error: { type: "WaitTimeoutError" },
    });
    await durable.retry(id);
    await expect
      .poll(async () => (await durable.listPendingInputs({ workflowId: id })).length, {
        timeout: 5000,
      })
      .toBe(1);
    await durable.provideInput(id, "note", "in time");
    expect(await durable.result(id, { timeout: 5000 })).toBe("in time");
    expect(await durable.cleanup({ olderThan: new Date(Date.now() + 1000) })).toBe(1);
    expect(
      await durable.listPendingInputs({ workflowId: id, status: ["completed", "timeout"] }),
    ).toEqual([]);
  });
});
