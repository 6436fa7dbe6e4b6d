import { afterEach, describe, expect, it } from "vitest";
import { workflow } from "../../src/index.js";
import { backends, engines } from "../helpers/backends.js";

const helper = async (tag: string, delay: number) => {
  await new Promise((r) => setTimeout(r, delay));
  console.log(`helper for ${tag}`);
};

describe.each(backends)("log capture on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("ctx.log and console calls, also in awaited code, land in the right attempt", async () => {
    const wf = workflow<{ tag: string }>("logger").step("s", async (d, ctx) => {
      ctx.log.info("start", { tag: d.tag });
      await helper(d.tag, 20);
      console.warn(`warn ${d.tag}`);
      await helper(d.tag, 5);
      ctx.log.error("end");
      return d;
    });
    const durable = await e.open({ workflows: [wf], captureLogs: { passthrough: false } });
    const ids = await Promise.all(["a", "b", "c", "d"].map((tag) => durable.start(wf, { tag })));
    await Promise.all(ids.map((id) => durable.result(id, { timeout: 5000 })));
    for (const [i, tag] of ["a", "b", "c", "d"].entries()) {
      const exec = await durable.getExecution(ids[i]!, { includeLogs: true });
      const logs = exec!.steps![0]!.logs!;
      expect(logs.map((l) => [l.level, l.message])).toEqual([
        ["info", "start"],
        ["info", `helper for ${tag}`],
        ["warn", `warn ${tag}`],
        ["info", `helper for ${tag}`],
        ["error", "end"],
      ]);
      expect(logs[0]!.data).toEqual({ tag });
      expect(logs[0]!.at).toBeInstanceOf(Date);
    }
    const plain = await durable.getExecution(ids[0]!, { includeSteps: true });
    expect(plain!.steps![0]!.logs).toBeUndefined();
  });

  it("bounds entries and message length per attempt", async () => {
    const wf = workflow("chatty").step("s", (_d, ctx) => {
      for (let i = 0; i < 10; i++) ctx.log.info(`line ${i} ${"x".repeat(50)}`);
    });
    const durable = await e.open({
      workflows: [wf],
      captureLogs: { maxEntries: 3, maxLength: 10, passthrough: false },
    });
    const id = await durable.start(wf, {});
    await durable.result(id, { timeout: 5000 });
    const logs = (await durable.getExecution(id, { includeLogs: true }))!.steps![0]!.logs!;
    expect(logs).toHaveLength(4);
    expect(logs[0]!.message.startsWith("line 0 xxx")).toBe(true);
    expect(logs[0]!.message).toContain("truncated");
    expect(logs[3]!.message).toBe("7 log entries dropped");
  });
});
