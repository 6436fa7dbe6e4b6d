/**
 * Firing schedules on PostgreSQL and PGlite, with an injected clock: exactly one
 * execution per fire across engines, catch-up after downtime, overlap, failures with
 * backoff and disabling, DST in America/New_York, and `schedule.fired`; plus one
 * real-time test with a seconds cron.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { workflow, type Durable, type ScheduleFiredEvent } from "../../src/index.js";
import { backends, engines, uniquePrefix } from "../helpers/backends.js";
import { FAST, FakeClock, fireTimes, settled, until } from "./helpers.js";

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const tick = workflow<{ n?: number }>("tick").step("s", (d) => d);

describe.each(backends)("firing schedules on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("three engines on one prefix start exactly one execution per fire", async () => {
    const clock = new FakeClock("2025-01-01T00:00:30Z");
    const prefix = uniquePrefix("sx");
    const all = await Promise.all(
      [1, 2, 3].map(() => e.open({ prefix, workflows: [tick], clock, ...FAST })),
    );
    const fired: string[] = [];
    for (const d of all)
      d.on("schedule.fired", (ev) => {
        if (!ev.remote) fired.push((ev as ScheduleFiredEvent).fireAt!.toISOString());
      });
    const [a] = all as [Durable];
    await a.schedule(tick, "* * * * *", { input: { n: 1 } });
    const expected: string[] = [];
    for (let m = 1; m <= 12; m++) {
      clock.set(Date.parse("2025-01-01T00:00:00Z") + m * 60_000 + 500);
      expected.push(new Date(Date.parse("2025-01-01T00:00:00Z") + m * 60_000).toISOString());
      await settled(a, clock, "tick");
    }
    expect(await fireTimes(a, "tick")).toEqual(expected);
    await until("every fire reported", () => fired.length >= expected.length);
    expect(fired.sort()).toEqual(expected);
    const exec = (await a.listExecutions({ limit: 1 }))[0]!;
    expect(exec).toMatchObject({ scheduleName: "tick", input: { n: 1 }, workflow: "tick" });
  });

  describe("catch-up of fires missed while no engine ran", () => {
    const downtime = async (catchUp: "none" | "one" | "all", restartAt: string) => {
      const clock = new FakeClock("2025-01-01T00:00:30Z");
      const prefix = uniquePrefix("cu");
      const first = await e.open({ prefix, workflows: [tick], clock, ...FAST });
      await first.schedule(tick, "0 * * * *", { catchUp });
      await first.close();
      clock.set(restartAt);
      const second = await e.open({ prefix, workflows: [tick], clock, ...FAST });
      const s = await settled(second, clock, "tick");
      return { times: await fireTimes(second, "tick"), next: s.nextRunAt };
    };
    const h = (hh: string) => `2025-01-01T${hh}:00:00.000Z`;

    it('"none" skips them', async () => {
      const { times, next } = await downtime("none", "2025-01-01T05:30:00Z");
      expect(times).toEqual([]);
      expect(next).toEqual(new Date(h("06")));
    });

    it('"one" (the default) runs the latest one, then the regular fire', async () => {
      expect((await downtime("one", "2025-01-01T05:30:00Z")).times).toEqual([h("05")]);
      expect((await downtime("one", "2025-01-01T06:00:20Z")).times).toEqual([h("05"), h("06")]);
    });

    it('"all" runs every one of them', async () => {
      const { times } = await downtime("all", "2025-01-01T05:30:00Z");
      expect(times).toEqual(["01", "02", "03", "04", "05"].map(h));
    });

    it('"all" is bounded to the latest 100', async () => {
      const clock = new FakeClock("2025-01-01T00:00:30Z");
      const prefix = uniquePrefix("cb");
      const first = await e.open({ prefix, workflows: [tick], clock, ...FAST });
      await first.schedule(tick, "* * * * *", { catchUp: "all" });
      await first.close();
      clock.set("2025-01-01T03:00:30Z");
      const second = await e.open({ prefix, workflows: [tick], clock, ...FAST });
      await settled(second, clock, "tick");
      const times = await fireTimes(second, "tick");
      expect(times).toHaveLength(101);
      expect(times[0]).toBe("2025-01-01T01:20:00.000Z");
      expect(times[100]).toBe("2025-01-01T03:00:00.000Z");
    });
  });

  it('overlap "skip" does not fire while its previous execution is active', async () => {
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const slow = workflow("slow").step("wait", async () => {
      await gate;
    });
    const clock = new FakeClock("2025-01-01T00:00:30Z");
    const d = await e.open({ workflows: [slow], clock, ...FAST });
    await d.schedule(slow, "* * * * *", { name: "skip", overlap: "skip" });
    await d.schedule(slow, "* * * * *", { name: "allow" });
    clock.set("2025-01-01T00:01:00.500Z");
    await settled(d, clock, "skip");
    await settled(d, clock, "allow");
    await until(
      "first executions running",
      async () => (await d.countExecutions({ status: "running" })) === 2,
    );
    clock.set("2025-01-01T00:02:00.500Z");
    await settled(d, clock, "skip");
    await settled(d, clock, "allow");
    expect(await fireTimes(d, "skip")).toEqual(["2025-01-01T00:01:00.000Z"]);
    expect(await fireTimes(d, "allow")).toHaveLength(2);
    release();
    await until("all done", async () => (await d.countExecutions({ status: "completed" })) === 3);
    gate = Promise.resolve();
    clock.set("2025-01-01T00:03:00.500Z");
    await settled(d, clock, "skip");
    expect(await fireTimes(d, "skip")).toEqual([
      "2025-01-01T00:01:00.000Z",
      "2025-01-01T00:03:00.000Z",
    ]);
  });

  it("a workflow that cannot start: lastError, backoff, disabled after 5; enable resets", async () => {
    // The code changed: the workflow now requires `n`, the stored input has none.
    const v1 = workflow("strict").step("s", () => 1);
    const v2 = workflow("strict", { input: z.object({ n: z.number() }) }).step("s", () => 1);
    const clock = new FakeClock("2025-01-01T00:00:30Z");
    const prefix = uniquePrefix("fail");
    const old = await e.open({ prefix, workflows: [v1], queueEnabled: false, clock });
    await old.schedule(v1, "0 * * * *", { input: {} });
    const warnings: string[] = [];
    const logger = { ...quiet, warn: (m: string) => warnings.push(m) };
    const d = await e.open({ prefix, workflows: [v2], clock, logger, ...FAST });
    const failures = async (n: number) =>
      until(`${n} failures`, async () => {
        const s = (await d.getSchedule("strict"))!;
        return s.consecutiveFailures === n ? s : null;
      });
    clock.set("2025-01-01T01:00:01Z");
    const s1 = await failures(1);
    expect(s1).toMatchObject({ enabled: true, nextRunAt: new Date("2025-01-01T01:00:00Z") });
    expect(s1.lastError).toMatchObject({
      type: "ValidationError",
      message: expect.stringMatching(/Invalid input for workflow "strict".*n/),
    });
    // Backing off (10 s after the first failure): nothing more before then.
    clock.set("2025-01-01T01:00:09Z");
    await new Promise((r) => setTimeout(r, 150));
    expect((await d.getSchedule("strict"))!.consecutiveFailures).toBe(1);
    for (const [n, atSec] of [
      [2, 12],
      [3, 33],
      [4, 74],
      [5, 155],
    ] as const) {
      clock.set(Date.parse("2025-01-01T01:00:00Z") + atSec * 1000);
      await failures(n);
    }
    const off = (await d.getSchedule("strict"))!;
    expect(off).toMatchObject({ enabled: false, nextRunAt: null, consecutiveFailures: 5 });
    expect(off.disabledReason).toMatch(
      /disabled after 5 consecutive failures to start workflow "strict"/,
    );
    expect(await d.countExecutions()).toBe(0);
    expect(warnings).toEqual(Array(5).fill('schedule "strict" could not start workflow "strict"'));
    clock.set("2025-01-01T01:30:00Z");
    await d.updateSchedule("strict", { input: { n: 1 } });
    const on = await d.enableSchedule("strict");
    expect(on).toMatchObject({
      enabled: true,
      consecutiveFailures: 0,
      disabledReason: null,
      nextRunAt: new Date("2025-01-01T02:00:00Z"),
    });
    clock.set("2025-01-01T02:00:01Z");
    const ok = await settled(d, clock, "strict");
    expect(ok).toMatchObject({ lastError: null, consecutiveFailures: 0 });
    expect(await fireTimes(d, "strict")).toEqual(["2025-01-01T02:00:00.000Z"]);
  });

  it("DST in America/New_York: a 02:30 (and a 01:30) daily job runs once each day", async () => {
    // Half-hour steps through the day of the change and the day after: each step lets
    // the scheduler look (once every schedule's nextRunAt is ahead of the clock).
    const walk = async (d: Durable, clock: FakeClock, from: string, to: string) => {
      for (let t = Date.parse(from); t <= Date.parse(to); t += 30 * 60_000) {
        clock.set(t);
        await until(`schedules processed at ${new Date(t).toISOString()}`, async () =>
          (await d.listSchedules()).every((s) => s.nextRunAt!.getTime() > t),
        );
      }
    };
    for (const [from, to, expect0230, expect0130] of [
      [
        "2025-03-09T00:00:00Z",
        "2025-03-10T12:00:00Z",
        ["2025-03-09T07:00:00.000Z", "2025-03-10T06:30:00.000Z"], // 03:00 EDT (02:30 absent), 02:30 EDT
        ["2025-03-09T06:30:00.000Z", "2025-03-10T05:30:00.000Z"],
      ],
      [
        "2025-11-02T00:00:00Z",
        "2025-11-03T12:00:00Z",
        ["2025-11-02T07:30:00.000Z", "2025-11-03T07:30:00.000Z"],
        ["2025-11-02T05:30:00.000Z", "2025-11-03T06:30:00.000Z"], // first 01:30 only
      ],
    ] as const) {
      const clock = new FakeClock(from);
      const d = await e.open({ workflows: [tick], clock, ...FAST });
      const tz = { timezone: "America/New_York", catchUp: "all" } as const;
      await d.schedule(tick, "30 2 * * *", { name: "at0230", ...tz });
      await d.schedule(tick, "30 1 * * *", { name: "at0130", ...tz });
      await walk(d, clock, from, to);
      expect(await fireTimes(d, "at0230")).toEqual(expect0230);
      expect(await fireTimes(d, "at0130")).toEqual(expect0130);
      await d.close();
    }
  });

  it("schedule.fired reaches the engine that fired and, through the database, the others", async () => {
    const clock = new FakeClock("2025-01-01T00:00:30Z");
    const prefix = uniquePrefix("ev");
    const worker = await e.open({ prefix, workflows: [tick], clock, ...FAST });
    const client = await e.open({ prefix, workflows: [tick], clock, queueEnabled: false });
    const local: ScheduleFiredEvent[] = [];
    const remote: ScheduleFiredEvent[] = [];
    worker.on("schedule.fired", (ev) => local.push(ev as ScheduleFiredEvent));
    client.on("*", (ev) => {
      if (ev.type === "schedule.fired") remote.push(ev as ScheduleFiredEvent);
    });
    await client.schedule(tick, "* * * * *");
    clock.set("2025-01-01T00:01:00.200Z");
    await settled(worker, clock, "tick");
    const [exec] = await worker.listExecutions();
    const want = {
      type: "schedule.fired",
      executionId: exec!.id,
      workflow: "tick",
      schedule: "tick",
      fireAt: new Date("2025-01-01T00:01:00Z"),
      manual: false,
    };
    expect(local).toEqual([{ ...want, at: new Date("2025-01-01T00:01:00.200Z") }]);
    await until("the remote event", () => remote.length === 1);
    expect(remote[0]).toMatchObject({ ...want, remote: true });
  });

  it("real time: a seconds cron fires every second, each run recording its fire time", async () => {
    const d = await e.open({ workflows: [tick] });
    const s = await d.schedule(tick, "* * * * * *");
    await until(
      "4 completed runs",
      async () => (await d.countExecutions({ status: "completed" })) >= 4,
      8000,
      50,
    );
    await d.disableSchedule("tick");
    const runs = (await d.listExecutions({ limit: 100 })).reverse();
    const fires = runs.map((r) => r.scheduleFireAt!.getTime());
    expect(fires[0]).toBe(s.nextRunAt!.getTime());
    fires.forEach((f, i) => expect(f).toBe(fires[0]! + i * 1000));
    for (const r of runs)
      expect(r.createdAt.getTime() - r.scheduleFireAt!.getTime()).toBeLessThan(900);
  });
});
