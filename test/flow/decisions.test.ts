import { afterEach, describe, expect, it } from "vitest";
import { goto, workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

describe.each(backends)("decisions and goto on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("a decision jumps forward to a later sibling, skipping the nodes between", async () => {
    const ran: string[] = [];
    const wf = workflow<{ amount: number }>("triage")
      .decision(
        "route",
        (d) =>
          d.amount > 100 ? goto("manual", { ...d, flagged: true }) : { ...d, flagged: false },
        { targets: ["manual"] },
      )
      .step("auto", (d) => {
        ran.push("auto");
        return d;
      })
      .step("manual", (d) => {
        ran.push("manual");
        return d;
      });
    const durable = await e.open({ workflows: [wf] });
    const big = await durable.start(wf, { amount: 500 });
    expect(await durable.result(big, { timeout: 5000 })).toEqual({ amount: 500, flagged: true });
    expect(ran).toEqual(["manual"]);
    const small = await durable.start(wf, { amount: 5 });
    expect(await durable.result(small, { timeout: 5000 })).toEqual({ amount: 5, flagged: false });
    expect(ran).toEqual(["manual", "auto", "manual"]);
    const steps = (await durable.getExecution(big, { includeSteps: true }))!.steps!;
    expect(steps.map((s) => [s.name, s.type])).toEqual([
      ["route", "decision"],
      ["manual", "step"],
    ]);
  });

  it("goto from a plain step works too", async () => {
    const wf = workflow<{ n: number }>("step_goto")
      .step("a", (d) => goto("c", { n: d.n + 1 }))
      .step("b", () => ({ n: -1 }))
      .step("c", (d) => ({ n: d.n * 10 }));
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { n: 1 });
    expect(await durable.result(id, { timeout: 5000 })).toEqual({ n: 20 });
  });

  for (const [label, target, why] of [
    ["itself", "d", /cannot jump to itself/],
    ["backwards", "a", /only go forward/],
    ["an unknown node", "nowhere", /not a node at the same level/],
  ] as const) {
    it(`a goto to ${label} fails with InvalidGotoError naming both nodes`, async () => {
      const wf = workflow(`bad_goto_${target}`)
        .step("a", () => ({}))
        .decision("d", (x) => goto(target, x))
        .step("z", () => "never");
      const durable = await e.open({ workflows: [wf] });
      const id = await durable.start(wf, {});
      const err = await durable.result(id, { timeout: 5000 }).catch((x: unknown) => x);
      expect(err).toMatchObject({ error: { type: "InvalidGotoError", step: "d" } });
      const message = (err as { error: { message: string } }).error.message;
      expect(message).toContain('"d"');
      expect(message).toContain(`"${target}"`);
      expect(message).toMatch(why);
    });
  }
});
