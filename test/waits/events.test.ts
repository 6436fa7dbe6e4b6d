import { afterEach, describe, expect, it } from "vitest";
import { workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

const statusOf = async (
  d: { getExecution(id: string): Promise<{ status: string } | null> },
  id: string,
) => (await d.getExecution(id))!.status;

describe.each(backends)("sleep and events on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("sleep suspends durably and resumes after the time; a past sleepUntil resolves at once", async () => {
    let runs = 0;
    const wf = workflow("napper").step("nap", async (_d, ctx) => {
      runs++;
      await ctx.sleepUntil(new Date(Date.now() - 1000));
      await ctx.sleep(400);
      return "rested";
    });
    const durable = await e.open({ workflows: [wf] });
    const t0 = Date.now();
    const id = await durable.start(wf, {});
    await expect.poll(() => statusOf(durable, id), { timeout: 5000 }).toBe("waiting");
    expect(await durable.result(id, { timeout: 5000 })).toBe("rested");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(runs).toBe(2); // the step ran again from its top after the wake-up
    const steps = (await durable.getExecution(id, { includeSteps: true }))!.steps!;
    expect(steps.map((s) => [s.attempt, s.status])).toEqual([
      [1, "waiting"],
      [1, "completed"],
    ]);
  });

  it("waitForEvent gets the payload; an event sent before the wait is kept for it", async () => {
    const wf = workflow("listener").step("listen", async (_d, ctx) => {
      const first = await ctx.waitForEvent<{ n: number }>("ping");
      const second = await ctx.waitForEvent<{ n: number }>("ping");
      return [first.n, second.n];
    });
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await durable.sendEvent(id, "ping", { n: 1 }); // possibly before the step waits
    await expect.poll(() => statusOf(durable, id), { timeout: 5000 }).toBe("waiting");
    const pending = await durable.listPendingEvents({ workflowId: id });
    expect(pending.map((p) => [p.event, p.status, p.stepName])).toEqual([
      ["ping", "pending", "listen"],
    ]);
    await durable.sendEvent(id, "ping", { n: 2 });
    expect(await durable.result(id, { timeout: 5000 })).toEqual([1, 2]);
    expect(await durable.listPendingEvents({ workflowId: id })).toEqual([]);
  });

  it("timeouts: timeoutValue, or WaitTimeoutError as a step failure", async () => {
    const wf = workflow("impatient")
      .step("soft", async (_d, ctx) =>
        ctx.waitForEvent("never", { timeout: 200, timeoutValue: "gave up" }),
      )
      .step("hard", async (_d, ctx) => ctx.waitForEvent("never", { timeout: 200 }));
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      error: { type: "WaitTimeoutError", step: "hard" },
    });
    const steps = (await durable.getExecution(id, { includeSteps: true }))!.steps!;
    expect(steps.find((s) => s.name === "soft" && s.status === "completed")!.output).toBe(
      "gave up",
    );
    const waits = await durable.listPendingEvents({ workflowId: id, status: "timeout" });
    expect(waits).toHaveLength(2);
  });

  it("waitForAny takes the first to arrive; waitForAll collects every payload", async () => {
    const wf = workflow("gather")
      .step("any", async (_d, ctx) => ctx.waitForAny(["a", "b"]))
      .step("all", async (prev, ctx) => ({ prev, all: await ctx.waitForAll(["x", "y"]) }));
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect.poll(() => statusOf(durable, id), { timeout: 5000 }).toBe("waiting");
    await durable.sendEvent(id, "b", "bee");
    await durable.sendEvent(id, "y", 2);
    await expect
      .poll(async () => (await durable.listPendingEvents({ workflowId: id })).map((p) => p.event), {
        timeout: 5000,
      })
      .toEqual(["x"]);
    await durable.sendEvent(id, "x", 1);
    expect(await durable.result(id, { timeout: 5000 })).toEqual({
      prev: { event: "b", payload: "bee" },
      all: { x: 1, y: 2 },
    });
  });

  it("sendEvent to an unknown id is NotFoundError, to an ended execution InvalidStateError", async () => {
    const wf = workflow("quick_end").step("s", () => 1);
    const durable = await e.open({ workflows: [wf] });
    await expect(durable.sendEvent("nope", "x", 1)).rejects.toMatchObject({
      name: "NotFoundError",
    });
    const id = await durable.start(wf, {});
    await durable.result(id, { timeout: 5000 });
    await expect(durable.sendEvent(id, "x", 1)).rejects.toMatchObject({
      name: "InvalidStateError",
    });
    await expect(durable.sendEvent(id, "x", () => 1)).rejects.toMatchObject({
      name: "SerializationError",
    });
  });

  it("several waits in one step replay in order; a changed order is NonDeterminismError", async () => {
    let order = ["one", "two"];
    const calls: string[] = [];
    const wf = workflow("ordered").step("s", async (_d, ctx) => {
      const out: unknown[] = [];
      for (const name of order) {
        calls.push(name);
        out.push(await ctx.waitForEvent(name));
      }
      return out;
    });
    const durable = await e.open({ workflows: [wf] });
    const ok = await durable.start(wf, {});
    await durable.sendEvent(ok, "one", 1);
    await durable.sendEvent(ok, "two", 2);
    expect(await durable.result(ok, { timeout: 5000 })).toEqual([1, 2]);

    const bad = await durable.start(wf, {});
    await expect.poll(() => statusOf(durable, bad), { timeout: 5000 }).toBe("waiting");
    order = ["two", "one"]; // a deploy changed the step
    await durable.sendEvent(bad, "one", 1);
    await expect(durable.result(bad, { timeout: 5000 })).rejects.toMatchObject({
      error: { type: "NonDeterminismError", message: expect.stringContaining('"one"') },
    });
  });

  it("a waiting parallel child does not block its siblings; the block joins when all are done", async () => {
    const done: string[] = [];
    const wf = workflow("par_wait").parallel("p", (p) =>
      p
        .step("waiter", async (_d, ctx) => {
          const v = await ctx.waitForEvent<string>("go");
          done.push("waiter");
          return v;
        })
        .step("worker", async () => {
          await new Promise((r) => setTimeout(r, 100));
          done.push("worker");
          return "w";
        }),
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect.poll(() => done, { timeout: 5000 }).toEqual(["worker"]);
    await expect.poll(() => statusOf(durable, id), { timeout: 5000 }).toBe("waiting");
    await durable.sendEvent(id, "go", "g");
    const out = (await durable.result(id, { timeout: 5000 })) as { __results__: unknown };
    expect(out.__results__).toEqual({
      waiter: { ok: true, value: "g" },
      worker: { ok: true, value: "w" },
    });
    expect(done).toEqual(["worker", "waiter"]); // worker was not run twice
  });

  it("emits waiting and resumed events", async () => {
    const wf = workflow("evented").step("s", async (_d, ctx) => ctx.waitForEvent("go"));
    const durable = await e.open({ workflows: [wf] });
    const seen: string[] = [];
    durable.on("*", (ev) => seen.push(ev.type));
    const id = await durable.start(wf, {});
    await expect.poll(() => seen.includes("workflow.waiting"), { timeout: 5000 }).toBe(true);
    await durable.sendEvent(id, "go", 1);
    await durable.result(id, { timeout: 5000 });
    await expect
      .poll(() => seen)
      .toEqual([
        "workflow.started",
        "step.started",
        "step.waiting",
        "workflow.waiting",
        "workflow.resumed",
        "step.started",
        "step.completed",
        "workflow.completed",
      ]);
  });

  it("listPendingEvents finds an old pending wait behind newer answered ones", async () => {
    const wf = workflow("old_waiter").step("s", async (_d, ctx) => ctx.waitForEvent("go"));
    const durable = await e.open({ workflows: [wf] });
    const old = await durable.start(wf, {});
    await expect.poll(() => statusOf(durable, old), { timeout: 5000 }).toBe("waiting");
    for (let i = 0; i < 4; i++) {
      const id = await durable.start(wf, {});
      await expect.poll(() => statusOf(durable, id), { timeout: 5000 }).toBe("waiting");
      await durable.sendEvent(id, "go", i);
      await durable.result(id, { timeout: 5000 });
    }
    const pending = await durable.listPendingEvents({ limit: 1 });
    expect(pending.map((p) => p.workflowId)).toEqual([old]);
  });

  it("waits work inside branch cases, loop iterations and forEach items", async () => {
    const wf = workflow<{ rounds: number; done?: number; caseGot?: number }>("waits_everywhere")
      .branch("route", () => "a", {
        a: (b) =>
          b.step("in_case", async (d, ctx) => ({
            ...d,
            caseGot: await ctx.waitForEvent<number>("case"),
          })),
      })
      .loop("rounds", { while: (d) => (d.done ?? 0) < d.rounds }, (b) =>
        b.step("round", async (d, ctx) => ({
          ...d,
          done: (d.done ?? 0) + (await ctx.waitForEvent<number>("tick")),
        })),
      )
      .forEach(
        "items",
        () => ["x", "y"],
        async (item, ctx) => `${item}:${await ctx.waitForEvent<string>(`item-${item}`)}`,
        { concurrency: 2 },
      );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { rounds: 2 });
    const waitingFor = async () =>
      (await durable.listPendingEvents({ workflowId: id })).map((p) => p.event).sort();
    await expect.poll(waitingFor, { timeout: 5000 }).toEqual(["case"]);
    await durable.sendEvent(id, "case", 7);
    await expect.poll(waitingFor, { timeout: 5000 }).toEqual(["tick"]);
    await durable.sendEvent(id, "tick", 1);
    await expect
      .poll(
        async () =>
          (await durable.listPendingEvents({ workflowId: id, status: "received" })).length,
        {
          timeout: 5000,
        },
      )
      .toBe(2);
    await durable.sendEvent(id, "tick", 1);
    await expect.poll(waitingFor, { timeout: 5000 }).toEqual(["item-x", "item-y"]);
    await durable.sendEvent(id, "item-y", "Y");
    await durable.sendEvent(id, "item-x", "X");
    const out = (await durable.result(id, { timeout: 5000 })) as Record<string, unknown>;
    expect(out).toMatchObject({ rounds: 2, caseGot: 7, done: 2 });
    expect(out.__results__).toEqual([
      { ok: true, value: "x:X" },
      { ok: true, value: "y:Y" },
    ]);
  });
});
