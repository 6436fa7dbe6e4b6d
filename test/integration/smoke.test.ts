import { afterEach, describe, expect, it } from "vitest";
import { workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

describe.each(backends)("smoke on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("runs a three-step workflow to completion", async () => {
    const wf = workflow<{ n: number }>("smoke")
      .step("a", (d) => ({ n: d.n + 1 }))
      .step("b", (d) => ({ n: d.n * 2 }))
      .step("c", (d, ctx) => {
        ctx.log.info("done", { n: d.n });
        return { result: d.n };
      });
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, { n: 1 });
    expect(await durable.result(id, { timeout: 10_000 })).toEqual({ result: 4 });
    const exec = await durable.getExecution(id, { includeLogs: true });
    expect(exec?.status).toBe("completed");
    expect(exec?.steps?.map((s) => s.name)).toEqual(["a", "b", "c"]);
    expect(exec?.steps?.[2]?.logs?.[0]?.message).toBe("done");
  });
});
