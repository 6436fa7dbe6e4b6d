import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDurable, workflow } from "../../src/index.js";
import { backends, engines, sql } from "../helpers/backends.js";

const order = workflow<{ id: string; amount: number }>("order", {
  input: z.object({ id: z.string(), amount: z.number().positive() }),
}).step("charge", (d) => ({ charged: d.amount }));

describe.each(backends)("bad input on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("unknown workflow name and unknown ids are NotFoundError", async () => {
    const durable = await e.open({ workflows: [order], queueEnabled: false });
    await expect(durable.start("no_such_workflow", {})).rejects.toMatchObject({
      name: "NotFoundError",
      code: "NOT_FOUND",
      message: expect.stringContaining("no_such_workflow"),
    });
    expect(await durable.getExecution("nope")).toBeNull();
    for (const call of [
      () => durable.cancel("nope"),
      () => durable.retry("nope"),
      () => durable.result("nope", { timeout: 100 }),
    ])
      await expect(call()).rejects.toMatchObject({ name: "NotFoundError" });
  });

  it("invalid input is a ValidationError and nothing is stored", async () => {
    const durable = await e.open({ workflows: [order], queueEnabled: false });
    await expect(durable.start(order, { id: "a", amount: -5 })).rejects.toMatchObject({
      name: "ValidationError",
      message: expect.stringContaining("order"),
      issues: [expect.objectContaining({ path: ["amount"] })],
    });
    expect(await durable.countExecutions()).toBe(0);
  });

  it("non-serializable input is a SerializationError naming the path; nothing stored", async () => {
    const loose = workflow("loose").step("s", () => undefined);
    const durable = await e.open({ workflows: [loose], queueEnabled: false });
    await expect(durable.start(loose, { cb: () => 1 })).rejects.toMatchObject({
      name: "SerializationError",
      message: expect.stringContaining("$.cb"),
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(durable.start(loose, cyclic)).rejects.toMatchObject({
      name: "SerializationError",
    });
    expect(await durable.countExecutions()).toBe(0);
  });

  it("a step returning a non-serializable value fails with SerializationError, not retried", async () => {
    let calls = 0;
    const wf = workflow("bad_output").step(
      "s",
      { retry: { maxAttempts: 3, baseDelay: 10 } },
      () => {
        calls++;
        return { fn: () => 1 };
      },
    );
    const durable = await e.open({ workflows: [wf] });
    const id = await durable.start(wf, {});
    await expect(durable.result(id, { timeout: 5000 })).rejects.toMatchObject({
      error: { type: "SerializationError", message: expect.stringContaining("$.fn") },
    });
    expect(calls).toBe(1);
  });

  it("rich values survive checkpoints between steps", async () => {
    const wf = workflow<{ when: Date }>("rich")
      .step("a", (d) => ({
        when: d.when,
        big: 10n ** 20n,
        tags: new Set(["x"]),
        m: new Map([[1, "one"]]),
        u: undefined,
      }))
      .step("b", (d) => ({
        ok:
          d.when instanceof Date &&
          typeof d.big === "bigint" &&
          d.tags.has("x") &&
          d.m.get(1) === "one" &&
          "u" in d,
        d,
      }));
    const durable = await e.open({ workflows: [wf] });
    const when = new Date("2026-01-02T03:04:05.678Z");
    const id = await durable.start(wf, { when });
    const out = await durable.result<typeof wf>(id, { timeout: 5000 });
    expect(out.ok).toBe(true);
    expect(out.d.when).toEqual(when);
    expect((await durable.getExecution(id))!.input).toEqual({ when });
  });

  it("invalid start options are a ValidationError naming each problem", async () => {
    const durable = await e.open({ workflows: [order], queueEnabled: false });
    await expect(
      durable.start(order, { id: "a", amount: 1 }, {
        priority: 1.5,
        scheduledAt: new Date("nope"),
        queue: "bad queue; DROP TABLE x",
        bogus: 1,
      } as never),
    ).rejects.toMatchObject({
      name: "ValidationError",
      message: expect.stringMatching(/priority.*scheduledAt|queue/),
    });
    await expect(durable.listExecutions({ limit: 0 })).rejects.toMatchObject({
      name: "ValidationError",
    });
    await expect(durable.cleanup({ olderThan: -1 })).rejects.toMatchObject({
      name: "ValidationError",
    });
    await expect(durable.cleanup({ olderThan: 0, status: "running" })).rejects.toMatchObject({
      name: "ValidationError",
    });
    expect(() => durable.on("nope" as never, () => undefined)).toThrow(/Unknown lifecycle event/);
    expect(await durable.countExecutions()).toBe(0);
  });

  it("invalid engine options are one ConfigError listing every problem", async () => {
    const err = await createDurable({
      database: await backend.database(),
      prefix: 'x"; DROP SCHEMA public; --',
      queues: { default: { concurrency: 0 } },
      heartbeatInterval: -1,
      typo: true,
    } as never).catch((x: unknown) => x);
    expect(err).toMatchObject({ name: "ConfigError", code: "CONFIG_ERROR" });
    const problems = (err as { problems: string[] }).problems.join("\n");
    expect(problems).toMatch(/prefix/);
    expect(problems).toMatch(/concurrency/);
    expect(problems).toMatch(/heartbeatInterval/);
    expect(problems).toMatch(/unknown option "typo"/);
    const rows = await sql(
      backend,
      `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'public'`,
    );
    expect(rows[0]).toEqual({ n: 1 });
  });

  it("names with SQL in them are data, never SQL", async () => {
    const durable = await e.open({ workflows: [order], queueEnabled: false });
    const evil = "x'); DROP TABLE executions; --";
    const id = await durable.start(order, { id: evil, amount: 1 }, { idempotencyKey: evil });
    expect(await durable.start(order, { id: evil, amount: 1 }, { idempotencyKey: evil })).toBe(id);
    expect(await durable.getExecution(evil)).toBeNull();
    expect(await durable.countExecutions({ workflow: evil })).toBe(0);
    expect((await durable.getExecution(id))!.input).toEqual({ id: evil, amount: 1 });
    expect(await durable.countExecutions()).toBe(1);
  });

  it("wrong states are InvalidStateError and change nothing", async () => {
    const durable = await e.open({ workflows: [order] });
    const id = await durable.start(order, { id: "a", amount: 2 });
    await durable.result(id, { timeout: 5000 });
    const before = await durable.getExecution(id, { includeSteps: true });
    await expect(durable.cancel(id)).rejects.toMatchObject({
      name: "InvalidStateError",
      message: expect.stringContaining("completed"),
    });
    await expect(durable.retry(id)).rejects.toMatchObject({ name: "InvalidStateError" });
    expect(await durable.getExecution(id, { includeSteps: true })).toEqual(before);
  });

  it("a closed engine refuses calls", async () => {
    const durable = await e.open({ workflows: [order], queueEnabled: false });
    await durable.close();
    await expect(durable.start(order, { id: "a", amount: 1 })).rejects.toMatchObject({
      name: "InvalidStateError",
    });
  });
});
