import { afterEach, describe, expect, it } from "vitest";
import { workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

describe.each(backends)("compensations on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("undoes completed steps in reverse completion order with their outputs; keeps the original error", async () => {
    const undone: string[] = [];
    const trip = workflow<{ who: string }>("trip")
      .step("book_flight", { compensate: "cancel_flight" }, (d) => ({ ...d, flightId: "F1" }))
      .step("book_hotel", { compensate: "cancel_hotel" }, (d) => ({ ...d, hotelId: "H1" }))
      .step("charge", () => {
        throw new Error("card declined");
      })
      .compensate("cancel_flight", (d: { flightId: string }) => {
        undone.push(`flight ${d.flightId}`);
      })
      .compensate("cancel_hotel", (d: { hotelId: string }) => {
        undone.push(`hotel ${d.hotelId}`);
      });
    const durable = await e.open({ workflows: [trip] });
    const events: string[] = [];
    durable.on("workflow.compensated", (ev) => events.push(ev.executionId));
    const id = await durable.start(trip, { who: "ann" });
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      status: "compensated",
      error: { message: "card declined", step: "charge" },
    });
    expect(undone).toEqual(["hotel H1", "flight F1"]);
    const exec = await durable.getExecution(id, { includeSteps: true });
    expect(exec!.status).toBe("compensated");
    expect(exec!.compensatedAt).toBeInstanceOf(Date);
    expect(exec!.compensationResults).toEqual([
      { step: "book_hotel", compensation: "cancel_hotel", status: "completed" },
      { step: "book_flight", compensation: "cancel_flight", status: "completed" },
    ]);
    const comp = exec!.steps!.filter((s) => s.type === "compensation");
    expect(comp.map((s) => [s.name, s.compensationFor, s.path])).toEqual([
      ["cancel_hotel", "book_hotel", ["cancel_hotel", "book_hotel"]],
      ["cancel_flight", "book_flight", ["cancel_flight", "book_flight"]],
    ]);
    expect(events).toEqual([id]);
  });

  it("a failing compensation retries, then the chain goes on: compensation_failed", async () => {
    let hotelCalls = 0;
    const undone: string[] = [];
    const trip = workflow("trip2")
      .step("a", { compensate: "undo_a" }, () => ({ a: 1 }))
      .step("b", { compensate: "undo_b" }, () => ({ b: 1 }))
      .step("boom", () => {
        throw new Error("boom");
      })
      .compensate("undo_a", () => {
        undone.push("a");
      })
      .compensate(
        "undo_b",
        () => {
          hotelCalls++;
          throw new Error("undo b failed");
        },
        { retry: { maxAttempts: 3, baseDelay: 5 } },
      );
    const durable = await e.open({ workflows: [trip] });
    const id = await durable.start(trip, {});
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      status: "compensation_failed",
      error: { message: "boom" },
    });
    expect(hotelCalls).toBe(3);
    expect(undone).toEqual(["a"]);
    const exec = await durable.getExecution(id);
    expect(exec!.compensationResults).toMatchObject([
      { step: "b", compensation: "undo_b", status: "failed", error: { message: "undo b failed" } },
      { step: "a", compensation: "undo_a", status: "completed" },
    ]);
  });

  it("steps completed in branches, loops and parallel children are compensated too", async () => {
    const undone: string[] = [];
    const wf = workflow<{ n: number }>("deep")
      .branch("b", () => "x", {
        x: (c) => c.step("in_branch", { compensate: "undo" }, (d) => ({ ...d, tag: "branch" })),
      })
      .loop("l", { while: (d) => d.n < 2 }, (c) =>
        c.step("in_loop", { compensate: "undo" }, (d) => ({ ...d, n: d.n + 1, tag: `loop${d.n}` })),
      )
      .parallel("p", (p) => p.step("in_par", { compensate: "undo" }, () => ({ tag: "par" })))
      .step("fail", () => {
        throw new Error("late failure");
      })
      .compensate("undo", (d: { tag: string }) => {
        undone.push(d.tag);
      });
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { n: 0 });
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      status: "compensated",
    });
    expect(undone).toEqual(["par", "loop1", "loop0", "branch"]);
  });

  it("a workflow timeout compensates as well", async () => {
    const undone: string[] = [];
    const wf = workflow("timed", { timeout: 200 })
      .step("a", { compensate: "undo_a" }, () => ({ a: true }))
      .step("slow", async (_d, ctx) => {
        await new Promise((r) => ctx.signal.addEventListener("abort", r));
      })
      .compensate("undo_a", () => {
        undone.push("a");
      });
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      status: "compensated",
      error: { type: "WorkflowTimeoutError" },
    });
    expect(undone).toEqual(["a"]);
  });

  it("cancel runs no compensation unless asked; with compensate: true it stays cancelled", async () => {
    const undone: string[] = [];
    let release!: () => void;
    const make = (name: string) =>
      workflow(name)
        .step("a", { compensate: "undo_a" }, () => ({ a: 1 }))
        .step("hang", async () => {
          await new Promise<void>((r) => (release = r));
        })
        .compensate("undo_a", () => {
          undone.push(name);
        });
    const plain = make("cancel_plain");
    const saga = make("cancel_saga");
    const durable = await e.open({ workflows: [plain, saga] });
    for (const [wf, compensate] of [
      [plain, false],
      [saga, true],
    ] as const) {
      const id = await durable.start(wf, {});
      await expect
        .poll(async () => (await durable.getExecution(id, { includeSteps: true }))!.steps!.length, {
          timeout: 5000,
        })
        .toBe(1);
      await durable.cancel(id, { reason: "stop", compensate });
      release();
      await expect
        .poll(async () => (await durable.getExecution(id))!.compensationResults, { timeout: 5000 })
        .toEqual(compensate ? [{ step: "a", compensation: "undo_a", status: "completed" }] : null);
      expect((await durable.getExecution(id))!.status).toBe("cancelled");
    }
    expect(undone).toEqual(["cancel_saga"]);
  });
});
