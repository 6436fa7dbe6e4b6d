import { afterEach, describe, expect, it } from "vitest";
import { goto, workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(backends)("parallel on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("runs children concurrently on the same input and merges __results__", async () => {
    let running = 0;
    let peak = 0;
    const child = (value: string) => async (d: { userId: string }) => {
      running++;
      peak = Math.max(peak, running);
      await wait(100);
      running--;
      return `${value}:${d.userId}`;
    };
    const wf = workflow<{ userId: string }>("fetch_all")
      .parallel("fetch", (p) =>
        p
          .step("user", child("user"))
          .step("orders", { returns: "recent" }, child("orders"))
          .step("prefs", child("prefs")),
      )
      .step("after", (d) => d);
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { userId: "u1" });
    const out = await durable.result<typeof wf>(id, { timeout: 5000 });
    expect(out).toEqual({
      userId: "u1",
      __results__: {
        user: { ok: true, value: "user:u1" },
        recent: { ok: true, value: "orders:u1" },
        prefs: { ok: true, value: "prefs:u1" },
      },
    });
    expect(peak).toBe(3);
    const steps = (await durable.getExecution(id, { includeSteps: true }))!.steps!;
    expect(steps.filter((s) => s.type === "parallel").map((s) => s.path)).toEqual([["fetch"]]);
    expect(
      steps
        .filter((s) => s.path[0] === "fetch" && s.type === "step")
        .map((s) => s.path)
        .sort(),
    ).toEqual([
      ["fetch", "orders"],
      ["fetch", "prefs"],
      ["fetch", "user"],
    ]);
  });

  it("maxConcurrency limits children running at once", async () => {
    let running = 0;
    let peak = 0;
    const slow = async () => {
      running++;
      peak = Math.max(peak, running);
      await wait(50);
      running--;
      return 1;
    };
    const wf = workflow("limited").parallel(
      "p",
      (p) => p.step("a", slow).step("b", slow).step("c", slow).step("d", slow),
      { maxConcurrency: 2 },
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await durable.result(id, { timeout: 5000 });
    expect(peak).toBe(2);
  });

  it("fail_fast aborts running siblings (their signal fires) and fails at once", async () => {
    let siblingAborted = false;
    const wf = workflow("ff").parallel("p", (p) =>
      p
        .step("bad", async () => {
          await wait(50);
          throw new Error("child failed");
        })
        .step("slow", async (_d, ctx) => {
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          siblingAborted = true;
          return "late";
        }),
    );
    const durable = await e.open({ workflows: [wf] });
    const t0 = Date.now();
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      error: { message: "child failed", step: "bad" },
    });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(siblingAborted).toBe(true);
    const steps = (await durable.getExecution(id, { includeSteps: true }))!.steps!;
    expect(steps.find((s) => s.name === "slow")!.status).toBe("cancelled");
    expect(steps.find((s) => s.type === "parallel")!.status).toBe("failed");
  });

  it("complete_all reports failures in the results; into replaces the merge and may goto", async () => {
    const wf = workflow<{ base: number }>("all")
      .parallel(
        "p",
        (p) =>
          p
            .step("good", (d) => d.base + 1)
            .step("bad", () => {
              throw new TypeError("nope");
            }),
        { onError: "complete_all" },
      )
      .step("next", (d) => ({
        good: d.__results__.good,
        badOk: d.__results__.bad.ok,
        badType: d.__results__.bad.ok ? null : d.__results__.bad.error.type,
      }));
    const withInto = workflow<{ base: number }>("into")
      .parallel("p", (p) => p.step("x", (d) => d.base * 2).step("y", (d) => d.base * 3), {
        into: (d, r) =>
          goto("final", { sum: (r.x.ok ? r.x.value : 0) + (r.y.ok ? r.y.value : 0), base: d.base }),
      })
      .step("skipped", () => ({ sum: -1, base: -1 }))
      .step("final", (d) => d);
    const durable = await e.open({ workflows: [wf, withInto] });
    const a = await durable.start(wf, { base: 1 });
    expect(await durable.result(a, { timeout: 5000 })).toEqual({
      good: { ok: true, value: 2 },
      badOk: false,
      badType: "TypeError",
    });
    const b = await durable.start(withInto, { base: 2 });
    expect(await durable.result(b, { timeout: 5000 })).toEqual({ sum: 10, base: 2 });
  });

  it("children retry on their own", async () => {
    let calls = 0;
    const wf = workflow("child_retry").parallel("p", (p) =>
      p
        .step("flaky", { retry: { maxAttempts: 3, baseDelay: 10 } }, () => {
          calls++;
          if (calls < 3) throw new Error("flaky");
          return "ok";
        })
        .step("steady", () => "fine"),
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    const out = (await durable.result(id, { timeout: 5000 })) as {
      __results__: Record<string, unknown>;
    };
    expect(out.__results__.flaky).toEqual({ ok: true, value: "ok" });
    const steps = (await durable.getExecution(id, { includeSteps: true }))!.steps!;
    expect(steps.filter((s) => s.name === "flaky").map((s) => [s.attempt, s.status])).toEqual([
      [1, "failed"],
      [2, "failed"],
      [3, "completed"],
    ]);
  });
});
