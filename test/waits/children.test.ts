import { afterEach, describe, expect, it } from "vitest";
import { workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

const leaf = workflow<{ n: number }>("leaf_wf").step("double", (d) => ({ n: d.n * 2 }));
const middle = workflow<{ n: number }>("middle_wf").step("call_leaf", async (d, ctx) => {
  const out = await ctx.callWorkflow(leaf, { n: d.n + 1 });
  return { n: out.n + 1 };
});
const top = workflow<{ n: number }>("top_wf").step("call_middle", async (d, ctx) =>
  ctx.callWorkflow(middle, d),
);
const failing = workflow("failing_child").step("boom", () => {
  throw new Error("child exploded");
});
const hanging = workflow("hanging_child").step("wait", async (_d, ctx) =>
  ctx.waitForEvent("never"),
);

describe.each(backends)("child workflows on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("callWorkflow nests (A calls B calls C) and resolves to the child's output", async () => {
    const durable = await e.open({ workflows: [leaf, middle, top] });
    const id = await durable.start(top, { n: 1 });
    expect(await durable.result(id, { timeout: 10_000 })).toEqual({ n: 5 });
    const [child] = await durable.listChildren(id);
    expect(child).toMatchObject({ workflow: "middle_wf", parentId: id, status: "completed" });
    const [grandchild] = await durable.listChildren(child!.id);
    expect(grandchild).toMatchObject({ workflow: "leaf_wf", output: { n: 4 } });
    expect(await durable.countExecutions({ topLevelOnly: true })).toBe(1);
  });

  it("a failed child rejects callWorkflow with ChildWorkflowError carrying its id and error", async () => {
    const parent = workflow("parent_of_failing").step("call", async (_d, ctx) => {
      try {
        await ctx.callWorkflow(failing, {});
        return "no error";
      } catch (err) {
        const e = err as {
          name: string;
          childStatus: string;
          childError: { message: string };
          childId: string;
        };
        return {
          name: e.name,
          status: e.childStatus,
          message: e.childError.message,
          childId: e.childId,
        };
      }
    });
    const durable = await e.open({ workflows: [parent, failing] });
    const id = await durable.start(parent, {});
    const out = (await durable.result(id, { timeout: 10_000 })) as { childId: string };
    expect(out).toMatchObject({
      name: "ChildWorkflowError",
      status: "failed",
      message: "child exploded",
    });
    expect((await durable.getExecution(out.childId))!.parentId).toBe(id);
  });

  it("startWorkflow returns the id at once and is idempotent per ref across retries", async () => {
    let attempts = 0;
    const parent = workflow("starter").step(
      "start",
      { retry: { maxAttempts: 3, baseDelay: 10 } },
      async (_d, ctx) => {
        const a = await ctx.startWorkflow(leaf, { n: 1 });
        const b = await ctx.startWorkflow(leaf, { n: 2 }, { ref: "second", queue: "other" });
        if (++attempts < 3) throw new Error("retry me");
        return [a, b];
      },
    );
    const durable = await e.open({
      workflows: [parent, leaf],
      queues: {
        default: { concurrency: 5, pollInterval: 100 },
        other: { concurrency: 1, pollInterval: 100 },
      },
    });
    const id = await durable.start(parent, {});
    const [a, b] = (await durable.result(id, { timeout: 10_000 })) as [string, string];
    const children = await durable.listChildren(id);
    expect(children.map((c) => c.id).sort()).toEqual([a, b].sort());
    expect(children.find((c) => c.id === b)!.queue).toBe("other");
    expect(await durable.result(b, { timeout: 5000 })).toEqual({ n: 4 });
  });

  it("a callWorkflow timeout cancels the child and resolves to timeoutValue", async () => {
    const parent = workflow("timeout_parent").step("call", async (_d, ctx) =>
      ctx.callWorkflow(hanging, {}, { timeout: 300, timeoutValue: "too slow" }),
    );
    const durable = await e.open({ workflows: [parent, hanging] });
    const id = await durable.start(parent, {});
    expect(await durable.result(id, { timeout: 10_000 })).toBe("too slow");
    const [child] = await durable.listChildren(id);
    expect(child).toMatchObject({
      status: "cancelled",
      error: { type: "cancelled", message: "timeout" },
    });
  });

  it("cancelling a parent cancels its active children (parent_cancelled) and their waits", async () => {
    const parent = workflow("cascade_parent").step("call", async (_d, ctx) =>
      ctx.callWorkflow(hanging, {}),
    );
    const durable = await e.open({ workflows: [parent, hanging] });
    const id = await durable.start(parent, {});
    await expect
      .poll(async () => (await durable.listChildren(id, { status: "waiting" })).length, {
        timeout: 5000,
      })
      .toBe(1);
    const [child] = await durable.listChildren(id);
    await durable.cancel(id, "no longer needed");
    expect(await durable.getExecution(child!.id)).toMatchObject({
      status: "cancelled",
      error: { type: "cancelled", message: "parent_cancelled" },
    });
    expect(await durable.listPendingEvents({ workflowId: child!.id })).toEqual([]);
    expect(
      (await durable.listPendingEvents({ workflowId: child!.id, status: "cancelled" })).length,
    ).toBe(1);
  });

  it("cancelling a child that a parent awaits makes the parent's callWorkflow reject", async () => {
    const parent = workflow("awaiting_parent").step("call", async (_d, ctx) =>
      ctx.callWorkflow(hanging, {}),
    );
    const durable = await e.open({ workflows: [parent, hanging] });
    const id = await durable.start(parent, {});
    await expect
      .poll(async () => (await durable.listChildren(id, { status: "waiting" })).length, {
        timeout: 5000,
      })
      .toBe(1);
    const [child] = await durable.listChildren(id);
    await durable.cancel(child!.id, "stop the child");
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      error: { type: "ChildWorkflowError", message: expect.stringContaining("cancelled") },
    });
  });
});
