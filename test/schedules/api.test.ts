/**
 * The dynamic schedule API (spec 7) on PostgreSQL and PGlite: create, read, list,
 * update, delete, enable, disable, trigger; validation and typed errors.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { workflow, type Schedule, type ScheduleFiredEvent } from "../../src/index.js";
import { loadMigrations } from "../../src/store/migrate.js";
import { backends, engines } from "../helpers/backends.js";
import { FakeClock, until } from "./helpers.js";

const report = workflow<{ team: string }>("report", {
  queue: "reports",
  priority: 3,
  input: z.object({ team: z.string() }),
}).step("run", (d) => ({ done: d.team }));
const plain = workflow("plain").step("s", () => 1);

const START = "2025-01-01T00:00:30.000Z"; // a Wednesday

describe.each(backends)("schedule API on $name", (backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());
  const open = (clock = new FakeClock(START), more = {}) =>
    e.open({ workflows: [report, plain], queueEnabled: false, clock, ...more });

  it("is migration 0003_schedules", () => {
    expect(loadMigrations().map((m) => m.version)).toContain("0003_schedules");
  });

  it("creates a schedule with every field and its defaults", async () => {
    const durable = await open();
    const s = await durable.schedule(report, "0 9 * * MON-FRI", { input: { team: "ops" } });
    const expected: Schedule = {
      name: "report",
      workflow: "report",
      cron: "0 9 * * MON-FRI",
      timezone: "UTC",
      input: { team: "ops" },
      queue: "reports",
      enabled: true,
      catchUp: "one",
      overlap: "allow",
      nextRunAt: new Date("2025-01-01T09:00:00Z"),
      lastRunAt: null,
      lastError: null,
      consecutiveFailures: 0,
      declared: false,
      disabledReason: null,
      createdAt: new Date(START),
      updatedAt: new Date(START),
    };
    expect(s).toEqual(expected);
    expect(await durable.getSchedule("report")).toEqual(expected);
    expect(await durable.getSchedule("nope")).toBeNull();
  });

  it("takes name, timezone, queue, enabled, catchUp and overlap; 6 fields and macros", async () => {
    const durable = await open();
    const s = await durable.schedule("report", "30 0 9 * * *", {
      name: "paris.report-1",
      timezone: "europe/paris",
      queue: "q2",
      catchUp: "all",
      overlap: "skip",
      input: { team: "a" },
    });
    expect(s).toMatchObject({
      name: "paris.report-1",
      timezone: "Europe/Paris",
      queue: "q2",
      catchUp: "all",
      overlap: "skip",
      nextRunAt: new Date("2025-01-01T08:00:30Z"),
    });
    const m = await durable.schedule(plain, "@hourly", { name: "hourly" });
    expect(m.nextRunAt).toEqual(new Date("2025-01-01T01:00:00Z"));
    const off = await durable.schedule(plain, "@daily", { name: "off", enabled: false });
    expect(off).toMatchObject({ enabled: false, nextRunAt: null });
  });

  it("rejects invalid cron, timezone, name, options and input with ValidationError", async () => {
    const durable = await open();
    const bad = async (p: Promise<unknown>, why: RegExp) =>
      expect(p).rejects.toMatchObject({
        name: "ValidationError",
        message: expect.stringMatching(why),
      });
    await bad(
      durable.schedule(plain, "61 * * * *"),
      /invalid cron expression "61 \* \* \* \*".*minute/,
    );
    await bad(durable.schedule(plain, "* * *"), /expected 5 fields/);
    await bad(durable.schedule(plain, "@sometimes"), /unknown macro/);
    await bad(durable.schedule(plain, "0 0 31 2 *"), /never fires/);
    await bad(
      durable.schedule(plain, "0 9 * * *", { timezone: "Atlantis/Capital" }),
      /unknown timezone "Atlantis\/Capital"/,
    );
    await bad(
      durable.schedule(plain, "0 9 * * *", { name: "has space" }),
      /schedule name "has space" may contain only/,
    );
    await bad(durable.schedule(plain, "0 9 * * *", { name: "" }), /must not be empty/);
    await bad(
      durable.schedule(plain, "0 9 * * *", { catchUp: "some" as never }),
      /catchUp must be/,
    );
    await bad(
      durable.schedule(plain, "0 9 * * *", { overlap: "queue" as never }),
      /overlap must be/,
    );
    await bad(
      durable.schedule(plain, "0 9 * * *", { every: 5 } as never),
      /unknown option "every"/,
    );
    await bad(
      durable.schedule(report, "0 9 * * *", { input: { team: 7 } as never }),
      /Invalid input for workflow "report".*team/,
    );
    expect(await durable.listSchedules()).toEqual([]);
  });

  it("an unknown workflow name is a NotFoundError; a duplicate name an InvalidStateError", async () => {
    const durable = await open();
    await expect(durable.schedule("ghost", "0 9 * * *")).rejects.toMatchObject({
      name: "NotFoundError",
    });
    await durable.schedule(plain, "0 9 * * *");
    await expect(durable.schedule(plain, "0 10 * * *")).rejects.toMatchObject({
      name: "InvalidStateError",
      message: expect.stringMatching(
        /schedule named "plain" already exists \(workflow "plain", cron "0 9 \* \* \*"\).*updateSchedule/,
      ),
    });
    expect((await durable.getSchedule("plain"))!.cron).toBe("0 9 * * *");
  });

  it("a client-only engine schedules a workflow object it has not registered", async () => {
    const other = workflow("unregistered").step("s", () => 1);
    const durable = await open();
    await expect(durable.schedule("unregistered", "0 9 * * *")).rejects.toMatchObject({
      name: "NotFoundError",
    });
    expect(await durable.schedule(other, "0 9 * * *")).toMatchObject({ workflow: "unregistered" });
  });

  it("lists by name with filters, limit and offset", async () => {
    const durable = await open();
    await durable.schedule(plain, "0 1 * * *", { name: "c" });
    await durable.schedule(plain, "0 2 * * *", { name: "a", enabled: false });
    await durable.schedule(report, "0 3 * * *", { name: "b", input: { team: "x" } });
    const names = (xs: Schedule[]) => xs.map((s) => s.name);
    expect(names(await durable.listSchedules())).toEqual(["a", "b", "c"]);
    expect(names(await durable.listSchedules({ enabled: true }))).toEqual(["b", "c"]);
    expect(names(await durable.listSchedules({ workflow: "plain" }))).toEqual(["a", "c"]);
    expect(names(await durable.listSchedules({ queue: "reports" }))).toEqual(["b"]);
    expect(names(await durable.listSchedules({ limit: 1, offset: 1 }))).toEqual(["b"]);
    await expect(durable.listSchedules({ limit: 0 })).rejects.toMatchObject({
      name: "ValidationError",
    });
  });

  it("updates recompute nextRunAt; disable, enable and delete", async () => {
    const clock = new FakeClock(START);
    const durable = await open(clock);
    await durable.schedule(report, "0 9 * * *", { input: { team: "a" } });
    clock.set("2025-01-01T12:00:00Z");
    const u = await durable.updateSchedule("report", {
      cron: "0 18 * * *",
      timezone: "America/New_York",
      input: { team: "b" },
      queue: "other",
      catchUp: "none",
    });
    expect(u).toMatchObject({
      cron: "0 18 * * *",
      timezone: "America/New_York",
      input: { team: "b" },
      queue: "other",
      catchUp: "none",
      nextRunAt: new Date("2025-01-01T23:00:00Z"),
      updatedAt: new Date("2025-01-01T12:00:00Z"),
      createdAt: new Date(START),
    });
    await expect(durable.updateSchedule("report", { input: { team: 1 } })).rejects.toMatchObject({
      name: "ValidationError",
    });
    await expect(durable.updateSchedule("report", { cron: "bad" })).rejects.toMatchObject({
      name: "ValidationError",
    });
    await expect(durable.updateSchedule("missing", { cron: "0 1 * * *" })).rejects.toMatchObject({
      name: "NotFoundError",
    });

    const off = await durable.disableSchedule("report");
    expect(off).toMatchObject({
      enabled: false,
      nextRunAt: null,
      disabledReason: "disabled by disableSchedule()",
    });
    clock.set("2025-01-02T00:00:00Z");
    const on = await durable.enableSchedule("report");
    expect(on).toMatchObject({
      enabled: true,
      disabledReason: null,
      consecutiveFailures: 0,
      nextRunAt: new Date("2025-01-02T23:00:00Z"),
    });
    expect(await durable.updateSchedule("report", { enabled: false })).toMatchObject({
      enabled: false,
      nextRunAt: null,
    });

    await durable.deleteSchedule("report");
    expect(await durable.getSchedule("report")).toBeNull();
    await expect(durable.deleteSchedule("report")).rejects.toMatchObject({ name: "NotFoundError" });
    await expect(durable.enableSchedule("report")).rejects.toMatchObject({ name: "NotFoundError" });
    await expect(durable.disableSchedule("report")).rejects.toMatchObject({
      name: "NotFoundError",
    });
  });

  it("triggerSchedule starts one execution now, recorded with the schedule and no fire time", async () => {
    const worker = await e.open({
      workflows: [report],
      queues: { reports: { concurrency: 2, pollInterval: 50 } },
    });
    const events: ScheduleFiredEvent[] = [];
    worker.on("schedule.fired", (ev) => events.push(ev as ScheduleFiredEvent));
    await worker.schedule(report, "0 0 1 1 *", { input: { team: "ops" }, enabled: false });
    const id = await worker.triggerSchedule("report");
    expect(await worker.result(id, { timeout: 10_000 })).toEqual({ done: "ops" });
    const exec = (await worker.getExecution(id))!;
    expect(exec).toMatchObject({
      workflow: "report",
      queue: "reports",
      priority: 3,
      scheduleName: "report",
      scheduleFireAt: null,
    });
    const id2 = await worker.triggerSchedule("report", { input: { team: "dev" } });
    expect(await worker.result(id2, { timeout: 10_000 })).toEqual({ done: "dev" });
    expect((await worker.getSchedule("report"))!.lastRunAt).not.toBeNull();
    expect(events.map((ev) => [ev.executionId, ev.schedule, ev.fireAt, ev.manual])).toEqual([
      [id, "report", null, true],
      [id2, "report", null, true],
    ]);
    await expect(worker.triggerSchedule("report", { input: { team: 1 } })).rejects.toMatchObject({
      name: "ValidationError",
    });
    await expect(worker.triggerSchedule("nope")).rejects.toMatchObject({ name: "NotFoundError" });
    await until(
      "both executions completed",
      async () => (await worker.countExecutions({ status: "completed" })) === 2,
    );
  });

  it("a closed engine rejects schedule calls", async () => {
    const durable = await open();
    await durable.close();
    await expect(durable.schedule(plain, "0 9 * * *")).rejects.toMatchObject({
      name: "InvalidStateError",
    });
    await expect(durable.listSchedules()).rejects.toMatchObject({ name: "InvalidStateError" });
  });
});
