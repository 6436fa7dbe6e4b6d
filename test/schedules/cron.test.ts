/**
 * The pure cron module: validation, next fires (with seconds, names, macros,
 * timezones), DST in America/New_York, and catch-up planning. No database, no clock.
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/index.js";
import {
  CronExpression,
  MAX_CATCH_UP,
  cronProblem,
  planFires,
  timezoneProblem,
} from "../../src/engine/cron.js";

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The first `n` fires strictly after `from`. */
function fires(cron: string, tz: string, from: string, n: number): string[] {
  const expr = CronExpression.parse(cron, tz);
  const out: string[] = [];
  let t: Date | null = at(from);
  for (let i = 0; i < n && t; i++) {
    t = expr.next(t);
    if (t) out.push(t.toISOString());
  }
  return out;
}

describe("cron expressions", () => {
  it.each([
    ["0 9 * * *", "2025-01-01T09:00:00.000Z"],
    ["*/15 * * * *", "2025-01-01T00:15:00.000Z"],
    ["0 9 * * MON-FRI", "2025-01-01T09:00:00.000Z"], // a Wednesday
    ["0 9 * * sat,sun", "2025-01-04T09:00:00.000Z"],
    ["0 0 1 JAN *", "2026-01-01T00:00:00.000Z"],
    ["0 0 1 jan-mar/2 *", "2025-03-01T00:00:00.000Z"],
    ["5,10,20-22 3 * * *", "2025-01-01T03:05:00.000Z"],
    ["30 * * * * *", "2025-01-01T00:00:30.000Z"], // 6 fields: seconds first
    ["*/10 * * * * *", "2025-01-01T00:00:10.000Z"],
    ["@daily", "2025-01-02T00:00:00.000Z"],
    ["@hourly", "2025-01-01T01:00:00.000Z"],
    ["@weekly", "2025-01-05T00:00:00.000Z"],
    ["@monthly", "2025-02-01T00:00:00.000Z"],
    ["@yearly", "2026-01-01T00:00:00.000Z"],
    ["@annually", "2026-01-01T00:00:00.000Z"],
    ["@midnight", "2025-01-02T00:00:00.000Z"],
    ["  0 12 * * *  ", "2025-01-01T12:00:00.000Z"],
  ])("%s fires first at %s after 2025-01-01T00:00Z", (cron, first) => {
    expect(fires(cron, "UTC", "2025-01-01T00:00:00Z", 1)).toEqual([first]);
  });

  it("steps, ranges and lists enumerate as expected", () => {
    expect(fires("0 8-17/3 * * *", "UTC", "2025-01-01T00:00:00Z", 4)).toEqual([
      "2025-01-01T08:00:00.000Z",
      "2025-01-01T11:00:00.000Z",
      "2025-01-01T14:00:00.000Z",
      "2025-01-01T17:00:00.000Z",
    ]);
    expect(fires("0 0 * * MON-FRI", "UTC", "2025-01-03T12:00:00Z", 2)).toEqual([
      "2025-01-06T00:00:00.000Z", // Friday noon -> Monday
      "2025-01-07T00:00:00.000Z",
    ]);
  });

  it.each([
    ["", /non-empty string/],
    ["* * * *", /expected 5 fields .* or 6 .* got 4/],
    ["* * * * * * *", /got 7/],
    ["60 * * * *", /minute: 60/],
    ["0 25 * * *", /hour: 25/],
    ["0 0 32 * *", /32/],
    ["0 0 * 13 *", /13/],
    ["0 9 * * 8", /dayOfWeek: 8/],
    ["5-1 * * * *", /5-1/],
    ["*/0 * * * *", /stepping/],
    ["0 9 * * FUNDAY", /invalid cron expression/],
    ["@every_minute", /unknown macro/],
    ["@reboot", /unknown macro/],
    ["? * * * *", /"\?" is not supported/],
    ["2025-01-01T00:00:00", /expected 5 fields/],
  ])("rejects %j naming the problem", (cron, why) => {
    expect(cronProblem(cron)).toMatch(why);
    expect(() => CronExpression.parse(cron)).toThrow(ValidationError);
    expect(() => CronExpression.parse(cron)).toThrow(why);
  });

  it("rejects non-strings and unknown timezones", () => {
    expect(cronProblem(42)).toMatch(/non-empty string/);
    expect(timezoneProblem("Mars/Olympus_Mons")).toMatch(/unknown timezone "Mars\/Olympus_Mons"/);
    expect(timezoneProblem("")).toMatch(/IANA timezone name/);
    expect(() => CronExpression.parse("0 9 * * *", "Nowhere/City")).toThrow(ValidationError);
    expect(() => CronExpression.parse("0 9 * * *", "Nowhere/City")).toThrow(/Nowhere\/City/);
  });

  it("canonicalizes timezone names", () => {
    expect(CronExpression.parse("0 9 * * *", "america/new_york").timezone).toBe("America/New_York");
    expect(CronExpression.parse("0 9 * * *").timezone).toBe("UTC");
  });

  it("a cron that never fires is a ValidationError at firstAfter", () => {
    const expr = CronExpression.parse("0 0 31 2 *");
    expect(() => expr.firstAfter(at("2025-01-01T00:00:00Z"))).toThrow(/never fires/);
  });

  it("reads the cron in its timezone", () => {
    expect(fires("0 9 * * *", "Europe/Paris", "2025-01-01T00:00:00Z", 1)).toEqual([
      "2025-01-01T08:00:00.000Z",
    ]);
    expect(fires("0 9 * * *", "Asia/Kolkata", "2025-06-01T00:00:00Z", 1)).toEqual([
      "2025-06-01T03:30:00.000Z",
    ]);
  });
});

describe("DST in America/New_York", () => {
  const NY = "America/New_York";

  it("spring forward (2025-03-09): a 02:30 daily job runs once, at 03:00 EDT, that day", () => {
    expect(fires("30 2 * * *", NY, "2025-03-07T12:00:00Z", 4)).toEqual([
      "2025-03-08T07:30:00.000Z", // 02:30 EST
      "2025-03-09T07:00:00.000Z", // 02:30 does not exist: 03:00 EDT
      "2025-03-10T06:30:00.000Z", // 02:30 EDT
      "2025-03-11T06:30:00.000Z",
    ]);
  });

  it("fall back (2025-11-02): a 02:30 daily job runs once each day", () => {
    expect(fires("30 2 * * *", NY, "2025-10-31T12:00:00Z", 4)).toEqual([
      "2025-11-01T06:30:00.000Z", // 02:30 EDT
      "2025-11-02T07:30:00.000Z", // 02:30 EST (01:00-02:00 repeats, 02:30 once)
      "2025-11-03T07:30:00.000Z",
      "2025-11-04T07:30:00.000Z",
    ]);
  });

  it("fall back: a 01:30 daily job runs once, at the first 01:30", () => {
    expect(fires("30 1 * * *", NY, "2025-11-01T12:00:00Z", 2)).toEqual([
      "2025-11-02T05:30:00.000Z", // 01:30 EDT; 01:30 EST (06:30Z) is skipped
      "2025-11-03T06:30:00.000Z",
    ]);
  });

  it("interval jobs skip the gap and run in both repeated hours", () => {
    expect(fires("0 * * * *", NY, "2025-03-09T05:30:00Z", 3)).toEqual([
      "2025-03-09T06:00:00.000Z", // 01:00 EST
      "2025-03-09T07:00:00.000Z", // 03:00 EDT (02:00 does not exist)
      "2025-03-09T08:00:00.000Z",
    ]);
    expect(fires("0 * * * *", NY, "2025-11-02T04:30:00Z", 3)).toEqual([
      "2025-11-02T05:00:00.000Z", // 01:00 EDT
      "2025-11-02T06:00:00.000Z", // 01:00 EST
      "2025-11-02T07:00:00.000Z", // 02:00 EST
    ]);
  });
});

describe("planFires", () => {
  const hourly = CronExpression.parse("0 * * * *");
  const plan = (nextRunAt: string, now: string, catchUp: "none" | "one" | "all") =>
    planFires({ expr: hourly, nextRunAt: at(nextRunAt), now: at(now), grace: 60_000, catchUp });

  it("nothing due: no fires, next unchanged", () => {
    const p = plan("2025-01-01T01:00:00Z", "2025-01-01T00:59:59Z", "one");
    expect(p.fires).toEqual([]);
    expect(iso(p.next)).toBe("2025-01-01T01:00:00.000Z");
  });

  it("a due fire within the grace runs whatever catchUp says", () => {
    for (const c of ["none", "one", "all"] as const) {
      const p = plan("2025-01-01T01:00:00Z", "2025-01-01T01:00:59Z", c);
      expect(p.fires.map(iso)).toEqual(["2025-01-01T01:00:00.000Z"]);
      expect(iso(p.next)).toBe("2025-01-01T02:00:00.000Z");
    }
  });

  it("missed fires: none, the latest one, or all of them", () => {
    const missed = ["01", "02", "03", "04", "05"].map((h) => `2025-01-01T${h}:00:00.000Z`);
    expect(plan("2025-01-01T01:00:00Z", "2025-01-01T05:30:00Z", "none").fires).toEqual([]);
    expect(plan("2025-01-01T01:00:00Z", "2025-01-01T05:30:00Z", "one").fires.map(iso)).toEqual([
      missed[4],
    ]);
    expect(plan("2025-01-01T01:00:00Z", "2025-01-01T05:30:00Z", "all").fires.map(iso)).toEqual(
      missed,
    );
    expect(iso(plan("2025-01-01T01:00:00Z", "2025-01-01T05:30:00Z", "none").next)).toBe(
      "2025-01-01T06:00:00.000Z",
    );
  });

  it("missed fires plus an on-time one: catch-up and the regular fire", () => {
    const p = plan("2025-01-01T01:00:00Z", "2025-01-01T06:00:10Z", "one");
    expect(p.fires.map(iso)).toEqual(["2025-01-01T05:00:00.000Z", "2025-01-01T06:00:00.000Z"]);
    expect(plan("2025-01-01T01:00:00Z", "2025-01-01T06:00:10Z", "none").fires.map(iso)).toEqual([
      "2025-01-01T06:00:00.000Z",
    ]);
  });

  it(`"all" is bounded to the latest ${MAX_CATCH_UP} missed fires`, () => {
    const minutely = CronExpression.parse("* * * * *");
    const p = planFires({
      expr: minutely,
      nextRunAt: at("2025-01-01T00:01:00Z"),
      now: at("2025-01-01T03:00:30Z"),
      grace: 60_000,
      catchUp: "all",
    });
    expect(p.fires).toHaveLength(MAX_CATCH_UP + 1);
    expect(iso(p.fires[0]!)).toBe("2025-01-01T01:20:00.000Z");
    expect(iso(p.fires[MAX_CATCH_UP - 1]!)).toBe("2025-01-01T02:59:00.000Z");
    expect(iso(p.fires[MAX_CATCH_UP]!)).toBe("2025-01-01T03:00:00.000Z"); // on time
    expect(iso(p.next)).toBe("2025-01-01T03:01:00.000Z");
  });

  it("late but within the grace: every fire runs, none is lost", () => {
    const perSecond = CronExpression.parse("* * * * * *");
    const p = planFires({
      expr: perSecond,
      nextRunAt: at("2025-01-01T00:00:10Z"),
      now: at("2025-01-01T00:00:13.400Z"),
      grace: 60_000,
      catchUp: "none",
    });
    expect(p.fires.map(iso)).toEqual([
      "2025-01-01T00:00:10.000Z",
      "2025-01-01T00:00:11.000Z",
      "2025-01-01T00:00:12.000Z",
      "2025-01-01T00:00:13.000Z",
    ]);
    expect(iso(p.next)).toBe("2025-01-01T00:00:14.000Z");
  });

  it("a fire exactly at the grace boundary is planned once", () => {
    const p = plan("2025-01-01T01:00:00Z", "2025-01-01T01:01:00Z", "all");
    expect(p.fires.map(iso)).toEqual(["2025-01-01T01:00:00.000Z"]);
  });
});
