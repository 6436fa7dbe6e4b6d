/**
 * Declared schedules (`workflow(name, { schedule })`) on PostgreSQL and PGlite:
 * upserted at engine start, a changed cron takes effect at once, a removed declaration
 * disables the schedule and says why, invalid declarations fail the start.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { workflow, type AnyWorkflow, type Logger } from "../../src/index.js";
import { backends, engines, uniquePrefix } from "../helpers/backends.js";
import { FAST, FakeClock, fireTimes, settled } from "./helpers.js";

const NY = "America/New_York";
const daily = (cron: string, extra: object = {}) =>
  workflow<{ team: string }>("daily_report", {
    schedule: { cron, timezone: NY, input: { team: "ops" }, ...extra },
  }).step("run", (d) => d.team);
const undeclared = workflow<{ team: string }>("daily_report").step("run", (d) => d.team);

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
  return { logger, lines };
}

describe.each(backends)("declared schedules on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it("are registered at start, and a changed cron takes effect at once", async () => {
    const clock = new FakeClock("2025-01-06T12:00:00Z"); // Monday, 07:00 in New York
    const prefix = uniquePrefix("dcl");
    const a = await e.open({ prefix, workflows: [daily("0 9 * * *")], clock, queueEnabled: false });
    expect(await a.getSchedule("daily_report")).toMatchObject({
      name: "daily_report",
      workflow: "daily_report",
      cron: "0 9 * * *",
      timezone: NY,
      input: { team: "ops" },
      declared: true,
      enabled: true,
      catchUp: "one",
      overlap: "allow",
      nextRunAt: new Date("2025-01-06T14:00:00Z"),
    });
    await a.close();
    clock.set("2025-01-06T13:00:00Z");
    const b = await e.open({ prefix, workflows: [daily("0 9 * * *")], clock, queueEnabled: false });
    const same = (await b.getSchedule("daily_report"))!;
    expect(same.updatedAt).toEqual(new Date("2025-01-06T12:00:00Z")); // unchanged: not rewritten
    await b.close();
    const c = await e.open({
      prefix,
      workflows: [daily("30 8 * * MON-FRI", { catchUp: "all", overlap: "skip" })],
      clock,
      queueEnabled: false,
    });
    expect(await c.getSchedule("daily_report")).toMatchObject({
      cron: "30 8 * * MON-FRI",
      catchUp: "all",
      overlap: "skip",
      nextRunAt: new Date("2025-01-06T13:30:00Z"),
      updatedAt: new Date("2025-01-06T13:00:00Z"),
    });
  });

  it("a removed declaration disables the schedule, saying why; declaring it again revives it", async () => {
    const clock = new FakeClock("2025-01-06T12:00:00Z");
    const prefix = uniquePrefix("rm");
    const { logger, lines } = recordingLogger();
    await (
      await e.open({ prefix, workflows: [daily("0 9 * * *")], clock, queueEnabled: false })
    ).close();
    const b = await e.open({
      prefix,
      name: "web-7",
      workflows: [undeclared],
      clock,
      logger,
      queueEnabled: false,
    });
    const off = (await b.getSchedule("daily_report"))!;
    expect(off).toMatchObject({ enabled: false, nextRunAt: null, declared: true });
    expect(off.disabledReason).toMatch(
      /declaration was removed from workflow "daily_report" \(engine "web-7" started without it/,
    );
    expect(lines.some((l) => l.startsWith('info disabled schedule "daily_report"'))).toBe(true);
    await b.close();
    clock.set("2025-01-07T12:00:00Z");
    const c = await e.open({ prefix, workflows: [daily("0 9 * * *")], clock, queueEnabled: false });
    expect(await c.getSchedule("daily_report")).toMatchObject({
      enabled: true,
      disabledReason: null,
      nextRunAt: new Date("2025-01-07T14:00:00Z"),
    });
  });

  it("an engine without the workflow leaves its schedules alone; a user's disable is kept", async () => {
    const other = workflow("other").step("s", () => 1);
    const clock = new FakeClock("2025-01-06T12:00:00Z");
    const prefix = uniquePrefix("keep");
    const a = await e.open({ prefix, workflows: [daily("0 9 * * *")], clock, queueEnabled: false });
    await e.open({ prefix, workflows: [other], clock, queueEnabled: false });
    expect((await a.getSchedule("daily_report"))!.enabled).toBe(true);
    await a.disableSchedule("daily_report");
    await e.open({ prefix, workflows: [daily("0 9 * * *")], clock, queueEnabled: false });
    expect(await a.getSchedule("daily_report")).toMatchObject({
      enabled: false,
      disabledReason: "disabled by disableSchedule()",
    });
  });

  it("keep nextRunAt across restarts, so fires missed while down are caught up", async () => {
    const clock = new FakeClock("2025-01-06T12:00:00Z");
    const prefix = uniquePrefix("dcu");
    const wf = daily("0 9 * * *");
    await (await e.open({ prefix, workflows: [wf], clock, queueEnabled: false })).close();
    clock.set("2025-01-09T12:00:00Z"); // three 09:00 fires missed
    const d = await e.open({ prefix, workflows: [wf], clock, ...FAST });
    await settled(d, clock, "daily_report");
    expect(await fireTimes(d, "daily_report")).toEqual(["2025-01-08T14:00:00.000Z"]);
  });

  it("a custom name; a declaration takes over a run-time schedule of that name", async () => {
    const clock = new FakeClock("2025-01-06T12:00:00Z");
    const prefix = uniquePrefix("own");
    const a = await e.open({ prefix, workflows: [undeclared], clock, queueEnabled: false });
    await a.schedule(undeclared, "0 1 * * *", { name: "morning", input: { team: "x" } });
    const { logger, lines } = recordingLogger();
    const b = await e.open({
      prefix,
      workflows: [daily("0 6 * * *", { name: "morning" })],
      clock,
      logger,
      queueEnabled: false,
    });
    expect(await b.getSchedule("morning")).toMatchObject({
      declared: true,
      cron: "0 6 * * *",
      input: { team: "ops" },
    });
    expect(lines).toContainEqual(
      expect.stringMatching(/warn schedule "morning" declared by workflow "daily_report" replaces/),
    );
    expect(await b.getSchedule("daily_report")).toBeNull();
  });

  it("an invalid declaration fails createDurable with a ConfigError naming it", async () => {
    const prefix = uniquePrefix("bad");
    const fail = (workflows: AnyWorkflow[], why: RegExp) =>
      expect(e.open({ prefix, workflows, queueEnabled: false })).rejects.toMatchObject({
        name: "ConfigError",
        message: expect.stringMatching(why),
      });
    await fail(
      [daily("0 9 * * * * *")],
      /workflow "daily_report": schedule "daily_report": invalid cron expression "0 9 \* \* \* \* \*"/,
    );
    await fail(
      [
        workflow("w", { schedule: { cron: "0 9 * * *", timezone: "Moon/Base" } }).step(
          "s",
          () => 1,
        ),
      ],
      /unknown timezone "Moon\/Base"/,
    );
    await fail(
      [
        workflow("w1", { schedule: { cron: "@daily", name: "same" } }).step("s", () => 1),
        workflow("w2", { schedule: { cron: "@daily", name: "same" } }).step("s", () => 1),
      ],
      /schedule "same" is also declared by workflow "w1"/,
    );
    await fail(
      [workflow("w", { schedule: { cron: "@daily", name: "bad name" } }).step("s", () => 1)],
      /schedule name: name "bad name" may contain only/,
    );
    await fail(
      [
        workflow("typed", {
          input: z.object({ n: z.number() }),
          schedule: { cron: "@daily", input: { n: "x" } },
        }).step("s", () => 1),
      ],
      /workflow "typed": schedule "typed": Invalid input for workflow "typed"/,
    );
  });
});
