import { afterEach, describe, expect, it } from "vitest";
import { workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

type Doc = { docType: unknown; text: string };

const route = workflow<Doc>("route_docs")
  .step("load", (d) => d)
  .branch("route", (d) => d.docType, {
    invoice: (b) =>
      b
        .step("extract_invoice", (d) => ({ kind: "invoice", text: d.text }))
        .step("validate_invoice", (d) => ({
          ...d,
          valid: true,
        })),
    true: (b) => b.step("boolean_case", () => ({ kind: "bool", text: "" })),
    "1": (b) => b.step("numeric_case", () => ({ kind: "one", text: "" })),
    _: (b) => b.step("manual_review", (d) => ({ kind: "manual", text: d.text })),
  })
  .step("after", (d) => ({ ...d, after: true }));

describe.each(backends)("branches on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("matches cases by String(value), falls back to _, and continues with the case's value", async () => {
    const durable = await e.open({ workflows: [route] });
    const cases: [unknown, string][] = [
      ["invoice", "invoice"],
      [true, "bool"],
      [1, "one"],
      ["other", "manual"],
    ];
    for (const [docType, kind] of cases) {
      const id = await durable.start(route, { docType, text: "t" });
      const out = await durable.result<typeof route>(id, { timeout: 5000 });
      expect(out).toMatchObject({ kind, after: true });
    }
    const id = await durable.start(route, { docType: "invoice", text: "x" });
    await durable.result(id, { timeout: 5000 });
    const steps = (await durable.getExecution(id, { includeSteps: true }))!.steps!;
    expect(steps.map((s) => [s.type, s.path])).toEqual([
      ["step", ["load"]],
      ["branch", ["route"]],
      ["step", ["route", "extract_invoice"]],
      ["step", ["route", "validate_invoice"]],
      ["step", ["after"]],
    ]);
    expect(steps[1]!.output).toEqual({ case: "invoice" });
  });

  it("no match and no default: the branch is skipped and the data passes on", async () => {
    const wf = workflow<{ v: string }>("no_default")
      .branch("b", (d) => d.v, { a: (b) => b.step("in_a", () => ({ v: "A" })) })
      .step("next", (d) => ({ ...d, next: true }));
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { v: "zzz" });
    expect(await durable.result(id, { timeout: 5000 })).toEqual({ v: "zzz", next: true });
    const steps = (await durable.getExecution(id, { includeSteps: true }))!.steps!;
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ["b", "skipped"],
      ["next", "completed"],
    ]);
  });

  it("a selector that throws fails the workflow", async () => {
    const wf = workflow("bad_selector").branch(
      "b",
      () => {
        throw new Error("selector broke");
      },
      { a: (b) => b.step("x", () => 1) },
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      error: { message: "selector broke", step: "b" },
    });
  });

  it("the recorded choice holds on resume even if the selector would now choose otherwise", async () => {
    let flip = "a";
    let failOnce = true;
    const wf = workflow("sticky").branch("b", () => flip, {
      a: (b) =>
        b.step("in_a", { retry: { maxAttempts: 2, baseDelay: 300, jitter: false } }, () => {
          if (failOnce) {
            failOnce = false;
            throw new Error("once");
          }
          return "went a";
        }),
      z: (b) => b.step("in_z", () => "went z"),
    });
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect.poll(() => failOnce, { timeout: 5000 }).toBe(false);
    flip = "z"; // the execution is now suspended in its backoff; it resumes by replay
    expect(await durable.result(id, { timeout: 5000 })).toBe("went a");
  });

  it("cases hold full pipelines: nested branches, decisions and loops", async () => {
    const wf = workflow<{ n: number }>("nested").branch("outer", (d) => d.n > 0, {
      true: (b) =>
        b
          .loop("count", { while: (d) => d.n < 3 }, (l) => l.step("inc", (d) => ({ n: d.n + 1 })))
          .branch("inner", (d) => d.n, {
            3: (i) => i.step("three", (d) => ({ n: d.n, three: true })),
          }),
      false: (b) => b.step("neg", (d) => ({ n: d.n, three: false })),
    });
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { n: 1 });
    expect(await durable.result(id, { timeout: 5000 })).toEqual({ n: 3, three: true });
    const paths = (await durable.getExecution(id, { includeSteps: true }))!.steps!.map(
      (s) => s.path,
    );
    expect(paths).toEqual([
      ["outer"],
      ["outer", "count", 0, "inc"],
      ["outer", "count", 1, "inc"],
      ["outer", "count"],
      ["outer", "inner"],
      ["outer", "inner", "three"],
    ]);
  });
});
