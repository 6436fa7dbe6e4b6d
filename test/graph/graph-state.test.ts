/**
 * Execution state on graph nodes (spec 8), from hand-made step records shaped like the
 * engine's: one record per attempt, container records for branch / parallel / forEach /
 * loop, compensation records at `[compensation, ...stepPath]`.
 */
import { describe, expect, it } from "vitest";
import { workflow, type GraphJson, type GraphNodeState } from "../../src/index.js";
import type { StepExecution, StepStatus, StepType } from "../../src/core/types.js";
import type { WorkflowDefinition } from "../../src/dsl/nodes.js";
import { renderGraph } from "../../src/engine/graph.js";

const id = (d: any): any => d;
let seq = 0;

/** One record; `durationMs` null for container records unless given. */
function rec(
  path: (string | number)[],
  type: StepType,
  status: StepStatus,
  more: { attempt?: number; durationMs?: number | null; output?: unknown } = {},
): StepExecution {
  const name = String(
    type === "compensation" ? path[0] : path.filter((s) => typeof s === "string").at(-1),
  );
  return {
    id: String(++seq),
    name,
    type,
    path,
    attempt: more.attempt ?? 1,
    status,
    input: null,
    output: more.output ?? null,
    error: status === "failed" ? ({ name: "Error", message: "boom" } as any) : null,
    startedAt: null,
    completedAt: null,
    durationMs:
      more.durationMs === undefined
        ? type === "step" || type === "decision" || type === "compensation"
          ? 10
          : 0
        : more.durationMs,
  };
}
const step = (path: (string | number)[], status: StepStatus, durationMs = 10, attempt = 1) =>
  rec(path, "step", status, { durationMs, attempt });

function states(def: WorkflowDefinition, steps: StepExecution[]) {
  const g = renderGraph(def, "json", steps) as GraphJson;
  const byId = new Map(g.nodes.map((n) => [n.id, n.state]));
  return (nodeId: string): GraphNodeState | undefined => {
    expect(byId.has(nodeId), nodeId).toBe(true);
    return byId.get(nodeId);
  };
}

const saga = workflow("saga")
  .step("validate", { compensate: "undo_validate" }, id)
  .step("charge", { retry: { maxAttempts: 3 }, compensate: "refund" }, id)
  .parallel("fetch", (p) => p.step("user", id).step("orders", { retry: { maxAttempts: 2 } }, id))
  .step("ship", id)
  .compensate("undo_validate", id)
  .compensate("refund", id);

describe("graph state", () => {
  it("has no state without records, nor with an empty list", () => {
    for (const steps of [undefined, []]) {
      const g = renderGraph(saga.definition, "json", steps) as GraphJson;
      expect(g.nodes.filter((n) => n.state)).toEqual([]);
    }
  });

  it("aggregates retries, a failed parallel child and compensations", () => {
    const s = states(saga.definition, [
      step(["validate"], "completed", 5),
      step(["charge"], "failed", 10, 1),
      step(["charge"], "failed", 20, 2),
      step(["charge"], "completed", 30, 3),
      step(["fetch", "user"], "completed", 7),
      step(["fetch", "orders"], "failed", 11, 1),
      step(["fetch", "orders"], "failed", 12, 2),
      rec(["fetch"], "parallel", "failed"),
      rec(["refund", "charge"], "compensation", "failed", { durationMs: 3, attempt: 1 }),
      rec(["refund", "charge"], "compensation", "completed", { durationMs: 4, attempt: 2 }),
      rec(["undo_validate", "validate"], "compensation", "completed", { durationMs: 2 }),
    ]);
    expect(s("wf_start")).toEqual({ status: "completed", attempts: 0, durationMs: null });
    expect(s("n_validate")).toEqual({ status: "completed", attempts: 1, durationMs: 5 });
    expect(s("n_charge")).toEqual({ status: "completed", attempts: 3, durationMs: 60 });
    expect(s("n_fetch")).toEqual({ status: "failed", attempts: 3, durationMs: 30 });
    expect(s("n_fetch__user")).toEqual({ status: "completed", attempts: 1, durationMs: 7 });
    expect(s("n_fetch__orders")).toEqual({ status: "failed", attempts: 2, durationMs: 23 });
    expect(s("n_ship")).toBeUndefined();
    expect(s("wf_end")).toBeUndefined();
    expect(s("c_refund")).toEqual({ status: "completed", attempts: 2, durationMs: 7 });
    expect(s("c_undo_validate")).toEqual({ status: "completed", attempts: 1, durationMs: 2 });
  });

  it("rolls a parallel up from its children until its own record arrives", () => {
    const base = [step(["validate"], "completed"), step(["charge"], "completed")];
    let s = states(saga.definition, [...base, step(["fetch", "user"], "completed")]);
    expect(s("n_fetch")?.status).toBe("running");
    s = states(saga.definition, [
      ...base,
      step(["fetch", "user"], "completed"),
      rec(["fetch", "orders"], "step", "waiting", { durationMs: null }),
    ]);
    expect(s("n_fetch")).toEqual({ status: "waiting", attempts: 2, durationMs: 10 });
    s = states(saga.definition, [
      ...base,
      step(["fetch", "user"], "cancelled"),
      step(["fetch", "orders"], "completed"),
    ]);
    expect(s("n_fetch")?.status).toBe("cancelled");
    s = states(saga.definition, [
      ...base,
      step(["fetch", "user"], "completed"),
      step(["fetch", "orders"], "completed"),
      rec(["fetch"], "parallel", "completed"),
      step(["ship"], "completed", 1),
    ]);
    expect(s("n_fetch")).toEqual({ status: "completed", attempts: 2, durationMs: 20 });
    expect(s("wf_end")).toEqual({ status: "completed", attempts: 0, durationMs: null });
  });

  const polling = workflow("polling")
    .loop("poll", { while: (d: any) => d.go, maxIterations: 10 }, (b) =>
      b.step("check", id).step("pause", id),
    )
    .forEach("send", (d: any) => d.to, id, { retry: { maxAttempts: 2 } })
    .step("done", id);

  const iterations = (n: number) =>
    Array.from({ length: n }, (_, i) => [
      step(["poll", i, "check"], "completed", 1 + i),
      step(["poll", i, "pause"], "completed", 100),
    ]).flat();

  it("sums a loop's iterations on the body nodes (paths without iteration numbers)", () => {
    const s = states(polling.definition, [...iterations(3), rec(["poll"], "loop", "completed")]);
    expect(s("n_poll__check")).toEqual({ status: "completed", attempts: 3, durationMs: 6 });
    expect(s("n_poll__pause")).toEqual({ status: "completed", attempts: 3, durationMs: 300 });
    expect(s("n_poll")).toEqual({ status: "completed", attempts: 6, durationMs: 306 });
    expect(s("n_send")).toBeUndefined();
  });

  it("shows a loop running mid-iteration and failed when its body failed", () => {
    let s = states(polling.definition, [...iterations(2), step(["poll", 2, "check"], "completed")]);
    expect(s("n_poll")?.status).toBe("running");
    expect(s("n_poll__pause")?.status).toBe("completed");
    s = states(polling.definition, [
      ...iterations(2),
      rec(["poll", 2, "check"], "step", "waiting"),
    ]);
    expect(s("n_poll")?.status).toBe("waiting");
    s = states(polling.definition, [...iterations(1), step(["poll", 1, "check"], "failed")]);
    expect(s("n_poll")).toEqual({ status: "failed", attempts: 3, durationMs: 111 });
    expect(s("n_poll__check")?.status).toBe("failed");
    expect(s("wf_end")).toBeUndefined();
  });

  it("aggregates forEach items (with a retry) under the forEach node", () => {
    const items = [
      rec(["send"], "forEach", "running", { durationMs: null }),
      step(["send", 0], "completed", 5),
      step(["send", 1], "failed", 5, 1),
      step(["send", 1], "completed", 6, 2),
      step(["send", 2], "completed", 4),
    ];
    const before = [...iterations(1), rec(["poll"], "loop", "completed")];
    let s = states(polling.definition, [...before, ...items]);
    expect(s("n_send")).toEqual({ status: "running", attempts: 4, durationMs: 20 });
    s = states(polling.definition, [
      ...before,
      ...items,
      rec(["send"], "forEach", "completed"),
      step(["done"], "completed", 1),
    ]);
    expect(s("n_send")).toEqual({ status: "completed", attempts: 4, durationMs: 20 });
    expect(s("n_done")).toEqual({ status: "completed", attempts: 1, durationMs: 1 });
    expect(s("wf_end")?.status).toBe("completed");
  });

  const routing = workflow("routing")
    .branch("route", (d: any) => d.type, {
      invoice: (b) => b.step("extract_invoice", id).step("validate_invoice", id),
      contract: (b) => b.step("extract_contract", id),
    })
    .step("archive", id);
  const chose = (c: string | null) =>
    rec(["route"], "branch", c === null ? "skipped" : "completed", { output: { case: c } });

  it("marks a branch's chosen case; nodes of other cases stay without state", () => {
    let s = states(routing.definition, [chose("invoice")]);
    expect(s("n_route")).toEqual({
      status: "running",
      attempts: 0,
      durationMs: null,
      case: "invoice",
    });
    s = states(routing.definition, [
      chose("invoice"),
      step(["route", "extract_invoice"], "completed"),
    ]);
    expect(s("n_route")?.status).toBe("running");
    s = states(routing.definition, [
      chose("invoice"),
      step(["route", "extract_invoice"], "completed", 3),
      step(["route", "validate_invoice"], "completed", 4),
      step(["archive"], "completed", 1),
    ]);
    expect(s("n_route")).toEqual({
      status: "completed",
      attempts: 2,
      durationMs: 7,
      case: "invoice",
    });
    expect(s("n_route__validate_invoice")?.status).toBe("completed");
    expect(s("n_route__extract_contract")).toBeUndefined();
    expect(s("wf_end")?.status).toBe("completed");
  });

  it("shows a branch without match as skipped and a failure in its case as failed", () => {
    let s = states(routing.definition, [chose(null), step(["archive"], "completed")]);
    expect(s("n_route")).toEqual({ status: "skipped", attempts: 0, durationMs: null, case: null });
    expect(s("n_route__extract_invoice")).toBeUndefined();
    expect(s("wf_end")?.status).toBe("completed");
    s = states(routing.definition, [
      chose("contract"),
      step(["route", "extract_contract"], "failed"),
    ]);
    expect(s("n_route")).toEqual({
      status: "failed",
      attempts: 1,
      durationMs: 10,
      case: "contract",
    });
    expect(s("wf_end")).toBeUndefined();
  });

  it("follows a branch inside a loop across iterations choosing different cases", () => {
    const wf = workflow("looped")
      .loop("l", { while: () => false }, (b) =>
        b.branch("b", id, { x: (c) => c.step("sx", id), y: (c) => c.step("sy", id) }),
      )
      .branch("tail", id, { z: (c) => c.step("sz", id) });
    const pick = (i: number, c: string) =>
      rec(["l", i, "b"], "branch", "completed", { output: { case: c } });
    let s = states(wf.definition, [
      pick(0, "x"),
      step(["l", 0, "b", "sx"], "completed"),
      pick(1, "y"),
    ]);
    expect(s("n_l__b")).toEqual({ status: "running", attempts: 1, durationMs: 10, case: "y" });
    expect(s("n_l__b__sx")?.status).toBe("completed");
    expect(s("n_l__b__sy")).toBeUndefined();
    s = states(wf.definition, [
      pick(0, "x"),
      step(["l", 0, "b", "sx"], "completed"),
      pick(1, "y"),
      step(["l", 1, "b", "sy"], "completed"),
      pick(2, "x"),
      step(["l", 2, "b", "sx"], "failed"),
    ]);
    expect(s("n_l__b")).toEqual({ status: "failed", attempts: 3, durationMs: 30, case: "x" });
    expect(s("n_l")?.status).toBe("failed");
    // The last top-level node skipped (no match) still means the workflow went through.
    s = states(wf.definition, [
      rec(["l"], "loop", "completed"),
      rec(["tail"], "branch", "skipped"),
    ]);
    expect(s("n_l")).toEqual({ status: "completed", attempts: 0, durationMs: null });
    expect(s("wf_end")?.status).toBe("completed");
  });

  it("leaves nodes jumped over by a goto without state, and ignores foreign records", () => {
    const wf = workflow("jump")
      .decision("d", id, { targets: ["c"] })
      .step("b", id)
      .step("c", id);
    const s = states(wf.definition, [
      rec(["d"], "decision", "completed"),
      step(["gone"], "completed"),
      rec(["d"], "loop", "completed"),
      rec(["nope", "d"], "compensation", "completed"),
      step(["c"], "completed"),
    ]);
    expect(s("n_d")).toEqual({ status: "completed", attempts: 1, durationMs: 10 });
    expect(s("n_b")).toBeUndefined();
    expect(s("n_c")?.status).toBe("completed");
    expect(s("wf_end")?.status).toBe("completed");
  });

  it("orders records by numeric id when the list comes sorted as text", () => {
    const wf = workflow("order").step("a", id).step("b", id);
    const numbered = (n: number, r: StepExecution) => ({ ...r, id: String(n) });
    // Sorted as text: "10" before "9". By id, b's last attempt (10) succeeded.
    const s = states(wf.definition, [
      numbered(1, step(["a"], "completed")),
      numbered(10, step(["b"], "completed", 10, 2)),
      numbered(9, step(["b"], "failed", 10, 1)),
    ]);
    expect(s("n_b")).toEqual({ status: "completed", attempts: 2, durationMs: 20 });
    expect(s("wf_end")?.status).toBe("completed");
  });

  it("colors states in DOT", () => {
    const dot = renderGraph(saga.definition, "dot", [
      step(["validate"], "completed", 5),
      step(["charge"], "failed", 10),
    ]) as string;
    expect(dot).toContain(
      'n_validate [label="validate", shape=box, fillcolor="#d4edda", color="#28a745", ' +
        'tooltip="completed, 1 attempt, 5 ms", style="rounded,filled"];',
    );
    expect(dot).toContain('fillcolor="#f8d7da"');
    expect(dot).toContain('n_ship [label="ship", shape=box, style="rounded"];');
  });
});
