import { afterEach, describe, expect, it } from "vitest";
import { workflow, type LifecycleEvent } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

const echo = workflow<{ v: number }>("echo").step("only", (d) => ({ v: d.v }));

describe.each(backends)("client API on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("idempotencyKey and id make start idempotent", async () => {
    const durable = await e.open({ workflows: [echo], queueEnabled: false });
    const a = await durable.start(echo, { v: 1 }, { idempotencyKey: "order-1" });
    const b = await durable.start(echo, { v: 2 }, { idempotencyKey: "order-1" });
    expect(b).toBe(a);
    const c = await durable.start(echo, { v: 3 }, { id: "my-id-1" });
    expect(c).toBe("my-id-1");
    expect(await durable.start(echo, { v: 4 }, { id: "my-id-1" })).toBe("my-id-1");
    expect(await durable.countExecutions()).toBe(2);
    expect((await durable.getExecution(a))!.input).toEqual({ v: 1 });
  });

  it("concurrent starts with one idempotencyKey create one execution", async () => {
    const durable = await e.open({ workflows: [echo], queueEnabled: false });
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        durable.start(echo, { v: i }, { idempotencyKey: "same" }),
      ),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await durable.countExecutions()).toBe(1);
  });

  it("runs higher priority first, equal priorities oldest first", async () => {
    const order: number[] = [];
    const wf = workflow<{ n: number }>("prio").step("s", (d) => {
      order.push(d.n);
    });
    const client = await e.open({ workflows: [wf], queueEnabled: false });
    await client.start(wf, { n: 1 }, { priority: 0 });
    await client.start(wf, { n: 2 }, { priority: 5 });
    await client.start(wf, { n: 3 }, { priority: 0 });
    await client.start(wf, { n: 4 }, { priority: 5 });
    const worker = await e.open({
      prefix: (client as unknown as { options: { prefix: string } }).options.prefix,
      workflows: [wf],
      queues: { default: { concurrency: 1, pollInterval: 100 } },
    });
    await expect.poll(() => order.length, { timeout: 10_000 }).toBe(4);
    expect(order).toEqual([2, 4, 1, 3]);
    await worker.close();
  });

  it("scheduledAt delays the run; queues route executions", async () => {
    const ran: string[] = [];
    const wf = workflow<{ tag: string }>("routed").step("s", (d) => {
      ran.push(d.tag);
    });
    const durable = await e.open({
      workflows: [wf],
      queues: {
        default: { concurrency: 5, pollInterval: 100 },
        emails: { concurrency: 2, pollInterval: 100 },
      },
    });
    const later = new Date(Date.now() + 600);
    const delayed = await durable.start(wf, { tag: "later" }, { scheduledAt: later });
    const routed = await durable.start(wf, { tag: "emails" }, { queue: "emails" });
    await durable.result(routed, { timeout: 5000 });
    expect((await durable.getExecution(routed))!.queue).toBe("emails");
    expect(ran).toEqual(["emails"]);
    expect((await durable.getExecution(delayed))!.status).toBe("pending");
    await durable.result(delayed, { timeout: 5000 });
    const exec = await durable.getExecution(delayed);
    expect(exec!.scheduledAt!.getTime()).toBe(later.getTime());
    expect(exec!.startedAt!.getTime()).toBeGreaterThanOrEqual(later.getTime());
  });

  it("an execution on a queue this engine does not serve waits", async () => {
    const durable = await e.open({ workflows: [echo] });
    const id = await durable.start(echo, { v: 1 }, { queue: "elsewhere" });
    await new Promise((r) => setTimeout(r, 400));
    expect((await durable.getExecution(id))!.status).toBe("pending");
  });

  it("lists and counts with filters, newest first", async () => {
    const other = workflow("other").step("s", () => "x");
    const durable = await e.open({ workflows: [echo, other], queueEnabled: false });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await durable.start(echo, { v: i }));
    const o = await durable.start(other, {}, { queue: "q2" });
    const all = await durable.listExecutions();
    expect(all.map((x) => x.id)).toEqual([o, ...ids.reverse()]);
    expect(await durable.countExecutions({ workflow: "echo" })).toBe(5);
    expect(await durable.countExecutions({ queue: "q2" })).toBe(1);
    expect(await durable.countExecutions({ status: ["pending", "running"] })).toBe(6);
    expect(await durable.countExecutions({ status: "completed" })).toBe(0);
    const page = await durable.listExecutions({ workflow: "echo", limit: 2, offset: 1 });
    expect(page.map((x) => x.id)).toEqual(ids.slice(1, 3));
    expect(await durable.countExecutions({ topLevelOnly: true })).toBe(6);
    expect(await durable.countExecutions({ from: new Date(Date.now() + 60_000) })).toBe(0);
  });

  it("cancel aborts the running step, discards its late result, and is final", async () => {
    let sawAbort = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const wf = workflow("cancellable")
      .step("wait", async (_d, ctx) => {
        ctx.signal.addEventListener("abort", () => (sawAbort = true));
        await gate;
        return { late: true };
      })
      .step("after", () => "should not run");
    const durable = await e.open({ workflows: [wf] });
    const events: LifecycleEvent[] = [];
    durable.on("workflow.cancelled", (ev) => events.push(ev));
    const id = await durable.start(wf, {});
    await expect
      .poll(async () => (await durable.getExecution(id))!.status, { timeout: 5000 })
      .toBe("running");
    await new Promise((r) => setTimeout(r, 100));
    await durable.cancel(id, "user asked");
    await expect.poll(() => sawAbort, { timeout: 5000 }).toBe(true);
    release();
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      name: "CancelledError",
      reason: "user asked",
    });
    await new Promise((r) => setTimeout(r, 200));
    const exec = await durable.getExecution(id, { includeSteps: true });
    expect(exec!.status).toBe("cancelled");
    expect(exec!.error).toEqual({ type: "cancelled", message: "user asked" });
    expect(exec!.output).toBeNull();
    expect(exec!.steps!.map((s) => [s.name, s.status])).toEqual([["wait", "cancelled"]]);
    expect(events.map((ev) => ev.executionId)).toContain(id);
    await expect(durable.cancel(id)).rejects.toMatchObject({ name: "InvalidStateError" });
  });

  it("retry resumes a failed execution at the failed node with fresh attempts", async () => {
    let fail = true;
    const calls: string[] = [];
    const wf = workflow("retry_me")
      .step("first", () => {
        calls.push("first");
        return { a: 1 };
      })
      .step("second", { retry: { maxAttempts: 2, baseDelay: 10 } }, (d) => {
        calls.push("second");
        if (fail) throw new Error("down");
        return { ...d, b: 2 };
      });
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 5000 })).rejects.toThrow(/down/);
    fail = false;
    await durable.retry(id);
    expect(await durable.result(id, { timeout: 5000 })).toEqual({ a: 1, b: 2 });
    expect(calls).toEqual(["first", "second", "second", "second"]);
    const exec = await durable.getExecution(id, { includeSteps: true });
    expect(exec!.error).toBeNull();
    expect(exec!.steps!.filter((s) => s.name === "second").map((s) => s.attempt)).toEqual([
      1, 2, 3,
    ]);
    await expect(durable.retry(id)).rejects.toMatchObject({ name: "InvalidStateError" });
  });

  it("cleanup deletes old terminal executions and their records", async () => {
    const durable = await e.open({ workflows: [echo] });
    const done = await durable.start(echo, { v: 1 });
    await durable.result(done, { timeout: 5000 });
    const pending = await durable.start(echo, { v: 2 }, { queue: "nobody" });
    expect(await durable.cleanup({ olderThan: 60_000 })).toBe(0);
    expect(await durable.cleanup({ olderThan: new Date(Date.now() + 1000), dryRun: true })).toBe(1);
    expect(await durable.getExecution(done)).not.toBeNull();
    expect(await durable.cleanup({ olderThan: new Date(Date.now() + 1000) })).toBe(1);
    expect(await durable.getExecution(done)).toBeNull();
    expect(await durable.getExecution(pending)).not.toBeNull();
  });

  it("emits lifecycle events in order", async () => {
    const durable = await e.open({ workflows: [echo] });
    const seen: string[] = [];
    const off = durable.on("*", (ev) => seen.push(`${ev.type}${ev.step ? `:${ev.step}` : ""}`));
    const id = await durable.start(echo, { v: 1 });
    await durable.result(id, { timeout: 5000 });
    await expect
      .poll(() => seen)
      .toEqual([
        "workflow.started",
        "step.started:only",
        "step.completed:only",
        "workflow.completed",
      ]);
    off();
  });

  it("a client-only engine starts work that another engine runs, and sees the result", async () => {
    const client = await e.open({ workflows: [echo], queueEnabled: false });
    const id = await client.start(echo, { v: 7 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.getExecution(id))!.status).toBe("pending");
    const prefix = (client as unknown as { options: { prefix: string } }).options.prefix;
    const remote: string[] = [];
    client.on("workflow.completed", (ev) => remote.push(`${ev.executionId}:${ev.remote}`));
    await e.open({ prefix, workflows: [echo] });
    expect(await client.result(id, { timeout: 5000 })).toEqual({ v: 7 });
    await expect.poll(() => remote).toEqual([`${id}:true`]);
  });
});
