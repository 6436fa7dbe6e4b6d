import { describe, expectTypeOf, it } from "vitest";
import type { ItemContext, StepContext } from "../../src/core/context.js";
import {
  goto,
  workflow,
  type AnyWorkflow,
  type InputOf,
  type ItemResult,
  type OutputOf,
  type Workflow,
} from "../../src/dsl/index.js";

type Order = { id: string; items: { sku: string; price: number }[] };

/** Type assertions on the output / input type of a workflow value. */
const outputOf = <W extends AnyWorkflow>(_wf: W) => expectTypeOf<OutputOf<W>>();
const inputOf = <W extends AnyWorkflow>(_wf: W) => expectTypeOf<InputOf<W>>();

describe("context flow types", () => {
  it("types each step's data by the previous return", () => {
    const wf = workflow<Order>("order")
      .step("validate", (order, ctx) => {
        expectTypeOf(order).toEqualTypeOf<Order>();
        expectTypeOf(ctx).toEqualTypeOf<StepContext<Order>>();
        expectTypeOf(ctx.input).toEqualTypeOf<Order>();
        return { orderId: order.id, total: 3 };
      })
      .step("charge", { retry: { maxAttempts: 3 } }, async (data) => {
        expectTypeOf(data).toEqualTypeOf<{ orderId: string; total: number }>();
        return { ...data, receipt: "r" };
      });
    expectTypeOf(wf).toEqualTypeOf<
      Workflow<Order, { receipt: string; orderId: string; total: number }>
    >();
    inputOf(wf).toEqualTypeOf<Order>();
    outputOf(wf).toEqualTypeOf<{
      receipt: string;
      orderId: string;
      total: number;
    }>();
    expectTypeOf(wf).toExtend<AnyWorkflow>();
  });

  it("passes the input through a void / undefined step", () => {
    const wf = workflow<{ a: number }>("w")
      .step("log", () => {})
      .step("async_log", async () => {})
      .step("maybe", (d) => (d.a > 1 ? { b: "x" } : undefined))
      .step("check", (d) => {
        expectTypeOf(d).toEqualTypeOf<{ b: string } | { a: number }>();
      });
    outputOf(wf).toEqualTypeOf<{ b: string } | { a: number }>();
  });

  it("types a decision's next data as the fall-through value or the goto data", () => {
    const wf = workflow<{ amount: number }>("w")
      .decision("triage", (d) => (d.amount > 10 ? goto("manual", { manual: true }) : d), {
        targets: ["manual"],
      })
      .step("manual", (d) => {
        expectTypeOf(d).toEqualTypeOf<{ manual: boolean } | { amount: number }>();
        return "done" as const;
      });
    outputOf(wf).toEqualTypeOf<"done">();
  });

  it("types a branch as the union of its cases, plus Ctx without a default", () => {
    const base = workflow<{ kind: string }>("w");
    const withDefault = base.branch("route", (d) => d.kind, {
      a: (b) =>
        b.step("a1", (d) => {
          expectTypeOf(d).toEqualTypeOf<{ kind: string }>();
          return { a: 1 };
        }),
      _: (b) => b.step("other", () => ({ other: true })),
    });
    outputOf(withDefault).toEqualTypeOf<{ a: number } | { other: boolean }>();

    const noDefault = base.branch("route", (d) => d.kind, {
      a: (b) => b.step("a1", () => 1).step("a2", (n) => String(n)),
    });
    outputOf(noDefault).toEqualTypeOf<string | { kind: string }>();
  });

  it("types parallel results per child key", () => {
    const wf = workflow<{ userId: string }>("w").parallel(
      "fetch",
      (p) =>
        p
          .step("user", (d) => {
            expectTypeOf(d).toEqualTypeOf<{ userId: string }>();
            return { name: "n" };
          })
          .step("orders", { returns: "recent", retry: { maxAttempts: 5 } }, async () => [1, 2]),
      { onError: "complete_all" },
    );
    outputOf(wf).toHaveProperty("userId").toEqualTypeOf<string>();
    outputOf(wf).toHaveProperty("__results__").toEqualTypeOf<{
      user: ItemResult<{ name: string }>;
      recent: ItemResult<number[]>;
    }>();
  });

  it("types parallel into", () => {
    const wf = workflow<{ userId: string }>("w")
      .parallel("fetch", (p) => p.step("user", () => 1), {
        into: (data, results) => {
          expectTypeOf(data).toEqualTypeOf<{ userId: string }>();
          expectTypeOf(results).toEqualTypeOf<{ user: ItemResult<number> }>();
          return { count: results.user.ok ? results.user.value : 0 };
        },
      })
      .step("next", (d) => {
        expectTypeOf(d).toEqualTypeOf<{ count: number }>();
      });
    outputOf(wf).toEqualTypeOf<{ count: number }>();
  });

  it("types forEach items, results and into", () => {
    const wf = workflow<{ recipients: string[] }>("w").forEach(
      "send",
      (d) => d.recipients,
      async (recipient, ctx) => {
        expectTypeOf(recipient).toEqualTypeOf<string>();
        expectTypeOf(ctx).toEqualTypeOf<ItemContext<{ recipients: string[] }>>();
        return recipient.length;
      },
      { concurrency: 10 },
    );
    outputOf(wf).toEqualTypeOf<{ recipients: string[] } & { __results__: ItemResult<number>[] }>();

    const summed = workflow<{ n: number[] }>("w").forEach(
      "double",
      (d) => d.n,
      (x) => x * 2,
      {
        into: (data, results) => {
          expectTypeOf(results).toEqualTypeOf<ItemResult<number>[]>();
          return { ...data, sum: results.length };
        },
      },
    );
    outputOf(summed).toEqualTypeOf<{ sum: number; n: number[] }>();
  });

  it("types a loop body from and to Ctx", () => {
    type Job = { jobId: string; state: string };
    const wf = workflow<Job>("w").loop(
      "poll",
      { while: (d) => d.state !== "done", maxIterations: 10 },
      (b) =>
        b
          .step("check", async (d) => ({ ...d, state: "done", checks: 1 }))
          .step("pause", async () => {}),
    );
    outputOf(wf).toEqualTypeOf<Job | { state: string; checks: number; jobId: string }>();
  });

  it("rejects a loop body that does not end Ctx-compatible", () => {
    workflow<{ a: number }>("w").loop(
      "l",
      { while: () => false },
      // @ts-expect-error the body must end with a value assignable to the loop's input
      (b) => b.step("s", () => ({ b: "x" })),
    );
  });

  it("keeps Ctx through compensate", () => {
    const wf = workflow<{ a: number }>("w")
      .step("book", { compensate: "cancel" }, (d) => ({ ...d, id: "x" }))
      .compensate("cancel", (data: { id: string }, ctx) => {
        expectTypeOf(ctx.input).toEqualTypeOf<{ a: number }>();
        return data.id;
      });
    outputOf(wf).toEqualTypeOf<{ id: string; a: number }>();
  });

  it("infers the input type from a Standard Schema", async () => {
    const { z } = await import("zod");
    const wf = workflow("w", { input: z.object({ id: z.string() }) });
    inputOf(wf).toEqualTypeOf<{ id: string }>();
  });
});
