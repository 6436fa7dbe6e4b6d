import { afterEach, describe, expect, it } from "vitest";
import { workflow } from "../../src/index.js";
import { backends, engines, postgres, sql } from "../helpers/backends.js";

const quick = workflow("quick").step("s", () => "ran");

describe.each(backends)("wake-ups on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("a start wakes an idle worker by NOTIFY, not by polling", async () => {
    // Poll once a minute: only a pushed wake-up can make this fast.
    const durable = await e.open({
      workflows: [quick],
      queues: { default: { concurrency: 5, pollInterval: 60_000 } },
    });
    await new Promise((r) => setTimeout(r, 200)); // let the first poll pass
    const t0 = Date.now();
    const id = await durable.start(quick, {});
    expect(await durable.result(id, { timeout: 5000 })).toBe("ran");
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("a start from another engine (client-only) wakes the worker", async () => {
    const worker = await e.open({
      workflows: [quick],
      queues: { default: { concurrency: 5, pollInterval: 60_000 } },
    });
    const prefix = (worker as unknown as { options: { prefix: string } }).options.prefix;
    const client = await e.open({ prefix, workflows: [quick], queueEnabled: false });
    await new Promise((r) => setTimeout(r, 200));
    const id = await client.start(quick, {});
    expect(await client.result(id, { timeout: 2000 })).toBe("ran");
  });
});

describe("LISTEN connection loss on postgres", () => {
  const e = engines(postgres);
  afterEach(() => e.cleanup());

  it("reconnects and keeps receiving wake-ups after the server drops the connection", async () => {
    const durable = await e.open({
      workflows: [quick],
      queues: { default: { concurrency: 5, pollInterval: 60_000 } },
    });
    const prefix = (durable as unknown as { options: { prefix: string } }).options.prefix;
    const listen = `LISTEN "${prefix}_durable"`;
    const killed = await sql<{ pid: number; ok: boolean }>(
      postgres,
      `SELECT pid, pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query = $1`,
      [listen],
    );
    expect(killed.map((k) => k.ok)).toEqual([true]);
    // A new connection (another pid) has finished its LISTEN.
    await expect
      .poll(
        async () =>
          (
            await sql(
              postgres,
              `SELECT 1 FROM pg_stat_activity WHERE query = $1 AND state = 'idle' AND pid <> $2`,
              [listen, killed[0]!.pid],
            )
          ).length,
        { timeout: 5000 },
      )
      .toBe(1);
    const id = await durable.start(quick, {});
    expect(await durable.result(id, { timeout: 2000 })).toBe("ran");
  });
});
