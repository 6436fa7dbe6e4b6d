import { describe, expect, it } from "vitest";
import { DefinitionError, InvalidGotoError } from "../../src/core/errors.js";
import {
  goto,
  isGoto,
  isWorkflow,
  workflow,
  type BranchNode,
  type ForEachNode,
  type LoopNode,
  type ParallelNode,
} from "../../src/dsl/index.js";

const noop = (d: any): any => d;

describe("workflow builder", () => {
  it("exposes name, options and an empty definition", () => {
    const wf = workflow("empty", { queue: "q", priority: 2, description: "d" });
    expect(wf.name).toBe("empty");
    expect(isWorkflow(wf)).toBe(true);
    expect(isWorkflow({ name: "x" })).toBe(false);
    expect(wf.definition.name).toBe("empty");
    expect(wf.definition.options).toEqual({ queue: "q", priority: 2, description: "d" });
    expect(wf.definition.nodes).toEqual([]);
    expect(wf.definition.compensations.size).toBe(0);
  });

  it("is immutable: every call returns a new builder and leaves the old one unchanged", () => {
    const a = workflow<number>("w");
    const b = a.step("one", (n) => n + 1);
    const c = b.step("two", (n) => n * 2);
    const d = b.step("other", (n) => n - 1);
    const e = c.compensate("undo", noop);
    expect(a).not.toBe(b);
    expect(a.definition.nodes).toHaveLength(0);
    expect(b.definition.nodes.map((n) => n.name)).toEqual(["one"]);
    expect(c.definition.nodes.map((n) => n.name)).toEqual(["one", "two"]);
    expect(d.definition.nodes.map((n) => n.name)).toEqual(["one", "other"]);
    expect(c.definition.compensations.size).toBe(0);
    expect(e.definition.compensations.has("undo")).toBe(true);
    // the same builder reused for different continuations: names stay per lineage
    expect(() => b.step("two", noop).step("other", noop)).not.toThrow();
  });

  it("freezes the definition and copies the options it was given", () => {
    const retry = { maxAttempts: 3 };
    const options = { retry };
    const wf = workflow("w").step("s", options, noop);
    retry.maxAttempts = 99;
    const node = wf.definition.nodes[0]!;
    expect(node).toEqual({
      kind: "step",
      name: "s",
      fn: noop,
      options: { retry: { maxAttempts: 3 } },
    });
    expect(Object.isFrozen(wf.definition)).toBe(true);
    expect(Object.isFrozen(wf.definition.nodes)).toBe(true);
    expect(Object.isFrozen(node)).toBe(true);
    expect(wf.definition).toBe(wf.definition);
  });

  it("builds step and decision nodes", () => {
    const fn = (d: { a: number }) => (d.a > 1 ? goto("end", d) : d);
    const wf = workflow<{ a: number }>("w")
      .step("plain", noop)
      .step("opts", { timeout: 500, retry: { backoff: "linear" }, compensate: "undo" }, noop)
      .decision("choose", fn, { targets: ["end"], retry: { maxAttempts: 2 } })
      .step("middle", noop)
      .step("end", noop)
      .compensate("undo", noop, { retry: { maxAttempts: 3 }, timeout: 1000 });
    const [plain, opts, choose] = wf.definition.nodes;
    expect(plain).toEqual({ kind: "step", name: "plain", fn: noop, options: {} });
    expect(opts).toEqual({
      kind: "step",
      name: "opts",
      fn: noop,
      options: { timeout: 500, retry: { backoff: "linear" }, compensate: "undo" },
    });
    expect(choose).toEqual({
      kind: "decision",
      name: "choose",
      fn,
      options: { targets: ["end"], retry: { maxAttempts: 2 } },
    });
    expect(wf.definition.compensations.get("undo")).toEqual({
      name: "undo",
      fn: noop,
      options: { retry: { maxAttempts: 3 }, timeout: 1000 },
    });
  });

  it("builds branch nodes with one pipeline per case", () => {
    const selector = (d: { kind: string }) => d.kind;
    const wf = workflow<{ kind: string }>("w").branch("route", selector, {
      invoice: (b) => b.step("extract_invoice", noop).step("validate_invoice", noop),
      contract: (b) => b.branch("nested", () => true, { true: (c) => c.step("deep", noop) }),
      _: (b) => b.step("manual_review", noop),
    });
    const node = wf.definition.nodes[0] as BranchNode;
    expect(node.kind).toBe("branch");
    expect(node.selector).toBe(selector);
    expect(Object.keys(node.cases)).toEqual(["invoice", "contract", "_"]);
    expect(node.cases.invoice!.map((n) => n.name)).toEqual(["extract_invoice", "validate_invoice"]);
    const nested = node.cases.contract![0] as BranchNode;
    expect(nested.kind).toBe("branch");
    expect(nested.cases.true![0]!.name).toBe("deep");
    expect(node.cases._![0]).toMatchObject({ kind: "step", name: "manual_review" });
  });

  it("builds parallel nodes", () => {
    const into = (d: unknown) => d;
    const wf = workflow("w")
      .parallel(
        "fetch",
        (p) =>
          p
            .step("user", noop)
            .step("orders", { returns: "recent", retry: { maxAttempts: 5 } }, noop),
        { maxConcurrency: 2 },
      )
      .parallel("with_into", (p) => p.step("x", noop), { into });
    const [fetch, withInto] = wf.definition.nodes as ParallelNode[];
    expect(fetch).toEqual({
      kind: "parallel",
      name: "fetch",
      options: { maxConcurrency: 2 },
      children: [
        { kind: "step", name: "user", fn: noop, options: {} },
        {
          kind: "step",
          name: "orders",
          fn: noop,
          options: { returns: "recent", retry: { maxAttempts: 5 } },
        },
      ],
    });
    // into implies complete_all
    expect(withInto!.options).toEqual({ into, onError: "complete_all" });
  });

  it("builds forEach nodes", () => {
    const items = (d: { list: number[] }) => d.list;
    const fn = (n: number) => n * 2;
    const wf = workflow<{ list: number[] }>("w")
      .forEach("each", items, fn, {
        concurrency: 10,
        onError: "complete_all",
        retry: { maxAttempts: 3 },
        timeout: 100,
      })
      .forEach("plain", (d) => d.__results__, noop);
    const [each, plain] = wf.definition.nodes as ForEachNode[];
    expect(each).toEqual({
      kind: "forEach",
      name: "each",
      items,
      fn,
      options: {
        concurrency: 10,
        onError: "complete_all",
        retry: { maxAttempts: 3 },
        timeout: 100,
      },
    });
    expect(plain!.options).toEqual({});
  });

  it("builds loop nodes with a default maxIterations of 1000", () => {
    const cond = (d: { n: number }) => d.n < 3;
    const wf = workflow<{ n: number }>("w")
      .loop("count", { while: cond }, (b) => b.step("inc", (d) => ({ n: d.n + 1 })))
      .loop("bounded", { while: cond, maxIterations: 5 }, (b) =>
        b.step("inc2", noop).step("inc3", noop),
      );
    const [count, bounded] = wf.definition.nodes as LoopNode[];
    expect(count).toMatchObject({ kind: "loop", name: "count", while: cond, maxIterations: 1000 });
    expect(count!.body.map((n) => n.name)).toEqual(["inc"]);
    expect(bounded!.maxIterations).toBe(5);
    expect(bounded!.body.map((n) => n.name)).toEqual(["inc2", "inc3"]);
  });

  it("validates the definition lazily, so compensations may be declared after use", () => {
    const pending = workflow("w").step("book", { compensate: "cancel" }, noop);
    expect(() => pending.definition).toThrow(DefinitionError);
    const done = pending.compensate("cancel", noop);
    expect(done.definition.nodes).toHaveLength(1);
  });
});

describe("goto", () => {
  it("returns a frozen marker that isGoto recognizes", () => {
    const g = goto("end", { a: 1 });
    expect(g).toEqual({ __goto__: true, target: "end", data: { a: 1 } });
    expect(Object.isFrozen(g)).toBe(true);
    expect(isGoto(g)).toBe(true);
    expect(isGoto({ target: "end", data: 1 })).toBe(false);
    expect(isGoto(null)).toBe(false);
    expect(isGoto("end")).toBe(false);
  });

  it("rejects an empty target", () => {
    expect(() => goto("", 1)).toThrow(InvalidGotoError);
  });
});
