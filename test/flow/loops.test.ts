import { afterEach, describe, expect, it } from "vitest";
import { workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

describe.each(backends)("forEach and loop on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("forEach runs every item with its index, results in item order, bounded concurrency", async () => {
    let running = 0;
    let peak = 0;
    const wf = workflow<{ recipients: string[] }>("mail").forEach(
      "send",
      (d) => d.recipients,
      async (to, ctx) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20 + ((ctx.index * 7) % 30)));
        running--;
        return `${ctx.index}:${to}`;
      },
      { concurrency: 3 },
    );
    const durable = await e.open({ workflows: [wf] });
    const recipients = Array.from({ length: 10 }, (_, i) => `r${i}`);
    const id = await durable.start(wf, { recipients });
    const out = await durable.result<typeof wf>(id, { timeout: 10_000 });
    expect(out.__results__).toEqual(recipients.map((r, i) => ({ ok: true, value: `${i}:${r}` })));
    expect(peak).toBe(3);
    const steps = (await durable.getExecution(id, { includeSteps: true }))!.steps!;
    expect(
      steps
        .filter((s) => s.type === "step")
        .map((s) => s.path)
        .sort((a, b) => Number(a[1]) - Number(b[1])),
    ).toEqual(recipients.map((_, i) => ["send", i]));
    expect(steps.filter((s) => s.type === "forEach").map((s) => s.status)).toEqual([
      "running",
      "completed",
    ]);
  });

  it("forEach onError complete_all keeps going; retry and into apply", async () => {
    const seen = new Map<number, number>();
    const wf = workflow<{ xs: number[] }>("each_errors").forEach(
      "each",
      (d) => d.xs,
      (x) => {
        seen.set(x, (seen.get(x) ?? 0) + 1);
        if (x === 2) throw new Error("two is bad");
        if (x === 3 && seen.get(x) === 1) throw new Error("three is flaky");
        return x * 10;
      },
      {
        onError: "complete_all",
        retry: { maxAttempts: 2, baseDelay: 5 },
        into: (d, results) => ({
          xs: d.xs,
          ok: results.filter((r) => r.ok).length,
          failed: results.filter((r) => !r.ok).length,
        }),
      },
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { xs: [1, 2, 3, 4] });
    expect(await durable.result(id, { timeout: 10_000 })).toEqual({
      xs: [1, 2, 3, 4],
      ok: 3,
      failed: 1,
    });
    expect(seen.get(2)).toBe(2);
    expect(seen.get(3)).toBe(2);
  });

  it("forEach fail_fast fails the workflow at the first failed item", async () => {
    const wf = workflow<{ xs: number[] }>("each_ff").forEach(
      "each",
      (d) => d.xs,
      (x) => {
        if (x === 1) throw new Error("item 1 failed");
        return x;
      },
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { xs: [0, 1, 2] });
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      error: { message: "item 1 failed" },
    });
  });

  it("loop checks while before each iteration; records are distinct per iteration", async () => {
    const wf = workflow<{ n: number }>("counter").loop("count", { while: (d) => d.n < 3 }, (b) =>
      b.step("inc", (d) => ({ n: d.n + 1 })).step("log", (d) => d),
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { n: 0 });
    expect(await durable.result(id, { timeout: 5000 })).toEqual({ n: 3 });
    const steps = (await durable.getExecution(id, { includeSteps: true }))!.steps!;
    expect(steps.map((s) => s.path)).toEqual([
      ["count", 0, "inc"],
      ["count", 0, "log"],
      ["count", 1, "inc"],
      ["count", 1, "log"],
      ["count", 2, "inc"],
      ["count", 2, "log"],
      ["count"],
    ]);
    const zero = await durable.start(wf, { n: 5 });
    expect(await durable.result(zero, { timeout: 5000 })).toEqual({ n: 5 });
  });

  it("exceeding maxIterations fails with LoopLimitError", async () => {
    const wf = workflow<{ n: number }>("runaway").loop(
      "forever",
      { while: () => true, maxIterations: 4 },
      (b) => b.step("tick", (d) => ({ n: d.n + 1 })),
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { n: 0 });
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      error: { type: "LoopLimitError", message: expect.stringContaining("4") },
    });
    const steps = (await durable.getExecution(id, { includeSteps: true }))!.steps!;
    expect(steps).toHaveLength(4);
  });
});
