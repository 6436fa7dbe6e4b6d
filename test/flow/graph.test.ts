/**
 * `graph(workflow, { executionId })` end to end on embedded PGlite: the records the
 * engine really writes land on the right nodes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { workflow, type GraphJson, type GraphNodeState } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

const id = (d: any): any => d;

const wf = workflow("graph_e2e")
  .step("book", { compensate: "unbook" }, (d: any) => ({ ...d, booked: true }))
  .branch("route", (d: any) => d.kind, {
    a: (b) => b.step("in_a", id),
    b: (b) => b.step("in_b", id),
  })
  .parallel("fetch", (p) =>
    p
      .step("user", () => "u")
      .step("flaky", { retry: { maxAttempts: 2, baseDelay: 1, jitter: false } }, (_d, ctx) => {
        if (ctx.attempt === 1) throw new Error("once");
        return "f";
      }),
  )
  .loop("poll", { while: (d: any) => (d.i ?? 0) < 3 }, (b) =>
    b.step("tick", (d: any) => ({ ...d, i: (d.i ?? 0) + 1 })),
  )
  .forEach(
    "send",
    () => [1, 2, 3],
    (x: number) => x * 2,
  )
  .step("fail", () => {
    throw new Error("nope");
  })
  .compensate("unbook", () => undefined);

describe.each(backends)("graph with an execution on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("puts each record's state on its node", async () => {
    const durable = await e.open({ workflows: [wf] });
    const execId = await durable.start(wf, { kind: "a" });
    await expect(durable.result(execId, { timeout: 15_000 })).rejects.toMatchObject({
      status: "compensated",
    });
    const g = (await durable.graph(wf, { format: "json", executionId: execId })) as GraphJson;
    const state = new Map(g.nodes.map((n) => [n.id, n.state]));
    const s = (nodeId: string): Partial<GraphNodeState> | undefined => {
      const st = state.get(nodeId);
      return st && { status: st.status, attempts: st.attempts, case: st.case };
    };
    expect(s("wf_start")?.status).toBe("completed");
    expect(s("n_book")).toMatchObject({ status: "completed", attempts: 1 });
    expect(s("n_route")).toMatchObject({ status: "completed", attempts: 1, case: "a" });
    expect(s("n_route__in_a")).toMatchObject({ status: "completed", attempts: 1 });
    expect(s("n_route__in_b")).toBeUndefined();
    expect(s("n_fetch")).toMatchObject({ status: "completed", attempts: 3 });
    expect(s("n_fetch__flaky")).toMatchObject({ status: "completed", attempts: 2 });
    expect(s("n_poll")).toMatchObject({ status: "completed", attempts: 3 });
    expect(s("n_poll__tick")).toMatchObject({ status: "completed", attempts: 3 });
    expect(s("n_send")).toMatchObject({ status: "completed", attempts: 3 });
    expect(s("n_fail")).toMatchObject({ status: "failed", attempts: 1 });
    expect(s("c_unbook")).toMatchObject({ status: "completed", attempts: 1 });
    expect(s("wf_end")).toBeUndefined();
    for (const n of g.nodes.filter((n) => n.state && n.kind !== "start" && n.kind !== "end"))
      expect(typeof n.state!.durationMs, n.id).toBe("number");
    const mermaid = (await durable.graph(wf, { format: "mermaid", executionId: execId })) as string;
    expect(mermaid).toContain("class n_fail st_failed");
    const dot = (await durable.graph(wf, { format: "dot", executionId: execId })) as string;
    expect(dot).toContain('n_fail [label="fail", shape=box, fillcolor="#f8d7da"');
  });
});
