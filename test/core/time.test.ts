import { afterEach, describe, expect, it, vi } from "vitest";
import { ValidationError } from "../../src/core/errors.js";
import {
  endOfDay,
  instantToZoned,
  nextBusinessDay,
  nextWeekday,
  zonedTimeToInstant,
} from "../../src/core/time.js";

const at = (iso: string): Date => new Date(iso);
const iso = (date: Date): string => date.toISOString();
const HOUR = 3_600_000;

/** Local wall time → ISO instant, ms defaulting to 0. */
function z(tz: string, y: number, mo: number, d: number, h: number, mi: number, s = 0, ms = 0) {
  return iso(zonedTimeToInstant(y, mo, d, h, mi, s, ms, tz));
}

/** Length in hours of the local day containing `from` in `tz`. */
function dayLengthHours(tz: string, from: Date): number {
  const local = instantToZoned(from, tz);
  const start = zonedTimeToInstant(local.year, local.month, local.day, 0, 0, 0, 0, tz);
  return (endOfDay({ timezone: tz, from }).getTime() + 1 - start.getTime()) / HOUR;
}

function expectValidation(fn: () => unknown, text?: string | RegExp): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.code).toBe("VALIDATION_ERROR");
  expect(error.issues.length).toBeGreaterThan(0);
  if (text !== undefined) expect(error.message).toMatch(text);
  return error;
}

describe("zonedTimeToInstant", () => {
  it("converts ordinary local times", () => {
    expect(z("UTC", 2026, 1, 15, 9, 0)).toBe("2026-01-15T09:00:00.000Z");
    expect(z("America/New_York", 2026, 1, 15, 9, 0)).toBe("2026-01-15T14:00:00.000Z");
    expect(z("America/New_York", 2026, 7, 15, 9, 0)).toBe("2026-07-15T13:00:00.000Z");
    expect(z("Europe/Berlin", 2026, 1, 15, 9, 0)).toBe("2026-01-15T08:00:00.000Z");
    expect(z("Europe/Berlin", 2026, 7, 15, 9, 0)).toBe("2026-07-15T07:00:00.000Z");
    expect(z("Asia/Kolkata", 2026, 1, 15, 9, 0)).toBe("2026-01-15T03:30:00.000Z");
    expect(z("Australia/Sydney", 2026, 1, 15, 9, 0)).toBe("2026-01-14T22:00:00.000Z");
    expect(z("Australia/Sydney", 2026, 7, 15, 9, 0)).toBe("2026-07-14T23:00:00.000Z");
    expect(z("Asia/Kolkata", 2026, 1, 15, 23, 59, 59, 999)).toBe("2026-01-15T18:29:59.999Z");
  });

  it("maps a spring-forward gap time to just after the gap (New York 02:30 → 03:30 EDT)", () => {
    expect(z("America/New_York", 2026, 3, 8, 1, 59, 59, 999)).toBe("2026-03-08T06:59:59.999Z");
    expect(z("America/New_York", 2026, 3, 8, 2, 0)).toBe("2026-03-08T07:00:00.000Z");
    expect(z("America/New_York", 2026, 3, 8, 2, 30)).toBe("2026-03-08T07:30:00.000Z");
    expect(z("America/New_York", 2026, 3, 8, 3, 30)).toBe("2026-03-08T07:30:00.000Z");
    expect(instantToZoned(at("2026-03-08T07:30:00Z"), "America/New_York")).toMatchObject({
      day: 8,
      hour: 3,
      minute: 30,
      offsetMs: -4 * HOUR,
    });
  });

  it("maps a fall-back overlap time to the earlier instant (New York 01:30 EDT)", () => {
    expect(z("America/New_York", 2026, 11, 1, 0, 59, 59, 999)).toBe("2026-11-01T04:59:59.999Z");
    expect(z("America/New_York", 2026, 11, 1, 1, 0)).toBe("2026-11-01T05:00:00.000Z");
    expect(z("America/New_York", 2026, 11, 1, 1, 30)).toBe("2026-11-01T05:30:00.000Z");
    expect(z("America/New_York", 2026, 11, 1, 1, 59, 59, 999)).toBe("2026-11-01T05:59:59.999Z");
    expect(z("America/New_York", 2026, 11, 1, 2, 0)).toBe("2026-11-01T07:00:00.000Z");
  });

  it("handles Europe/Berlin's transitions (2026-03-29, 2026-10-25)", () => {
    expect(z("Europe/Berlin", 2026, 3, 29, 1, 59, 59, 999)).toBe("2026-03-29T00:59:59.999Z");
    expect(z("Europe/Berlin", 2026, 3, 29, 2, 30)).toBe("2026-03-29T01:30:00.000Z");
    expect(z("Europe/Berlin", 2026, 3, 29, 3, 30)).toBe("2026-03-29T01:30:00.000Z");
    expect(z("Europe/Berlin", 2026, 10, 25, 2, 30)).toBe("2026-10-25T00:30:00.000Z");
    expect(z("Europe/Berlin", 2026, 10, 25, 3, 0)).toBe("2026-10-25T02:00:00.000Z");
  });

  it("handles Australia/Sydney's southern-hemisphere transitions", () => {
    // DST ends 2026-04-05 03:00 AEDT → 02:00 AEST: 02:30 happens twice, the earlier is AEDT.
    expect(z("Australia/Sydney", 2026, 4, 5, 2, 30)).toBe("2026-04-04T15:30:00.000Z");
    expect(z("Australia/Sydney", 2026, 4, 5, 3, 0)).toBe("2026-04-04T17:00:00.000Z");
    // DST starts 2026-10-04 02:00 AEST → 03:00 AEDT: 02:30 does not exist → 03:30 AEDT.
    expect(z("Australia/Sydney", 2026, 10, 4, 2, 30)).toBe("2026-10-03T16:30:00.000Z");
    expect(z("Australia/Sydney", 2026, 10, 4, 1, 59)).toBe("2026-10-03T15:59:00.000Z");
  });

  it("handles zones whose clocks change at midnight (America/Santiago)", () => {
    // 2026-09-06 00:00 does not exist (Saturday 24:00 -04 → Sunday 01:00 -03).
    expect(z("America/Santiago", 2026, 9, 6, 0, 0)).toBe("2026-09-06T04:00:00.000Z");
    // 2026-04-04 23:00-23:59 happens twice (Saturday 24:00 -03 → 23:00 -04): the earlier.
    expect(z("America/Santiago", 2026, 4, 4, 23, 30)).toBe("2026-04-05T02:30:00.000Z");
  });

  it("rolls over out-of-range fields and keeps years 0-99 literal", () => {
    expect(z("UTC", 2026, 1, 32, 0, 0)).toBe("2026-02-01T00:00:00.000Z");
    expect(z("UTC", 2026, 12, 32, 0, 0)).toBe("2027-01-01T00:00:00.000Z");
    expect(z("UTC", 50, 1, 1, 0, 0)).toBe("0050-01-01T00:00:00.000Z");
  });

  it("uses offsets with seconds (New York local mean time before 1883)", () => {
    expect(z("America/New_York", 1850, 1, 1, 0, 0)).toBe("1850-01-01T04:56:02.000Z");
  });

  it("rejects an unknown time zone and non-finite fields", () => {
    expectValidation(
      () => zonedTimeToInstant(2026, 1, 1, 0, 0, 0, 0, "Mars/Olympus"),
      /Mars\/Olympus/,
    );
    expectValidation(() => zonedTimeToInstant(2026, NaN, 1, 0, 0, 0, 0, "UTC"));
  });
});

describe("instantToZoned", () => {
  it("gives local fields, weekday and offset", () => {
    expect(instantToZoned(at("2026-01-15T20:00:00.123Z"), "Asia/Kolkata")).toEqual({
      year: 2026,
      month: 1,
      day: 16,
      hour: 1,
      minute: 30,
      second: 0,
      millisecond: 123,
      weekday: 5,
      offsetMs: 5.5 * HOUR,
    });
    expect(instantToZoned(at("2026-11-01T05:30:00Z"), "America/New_York")).toMatchObject({
      hour: 1,
      minute: 30,
      weekday: 0,
      offsetMs: -4 * HOUR,
    });
    expect(instantToZoned(at("2026-11-01T06:30:00Z"), "America/New_York")).toMatchObject({
      hour: 1,
      minute: 30,
      offsetMs: -5 * HOUR,
    });
  });

  it("handles years before 1 AD (astronomical numbering)", () => {
    expect(instantToZoned(at("-000003-11-27T00:00:00Z"), "UTC")).toMatchObject({
      year: -3,
      month: 11,
      day: 27,
    });
  });

  it("rejects an invalid date or time zone", () => {
    expectValidation(() => instantToZoned(new Date(NaN), "UTC"));
    expectValidation(() => instantToZoned(new Date(), "Nowhere/Land"), /Nowhere\/Land/);
  });
});

describe("nextBusinessDay", () => {
  it("defaults to 09:00 UTC", () => {
    // Wednesday 2026-01-14, before 09:00: still the next date, strictly after.
    expect(iso(nextBusinessDay({ from: at("2026-01-14T08:00:00Z") }))).toBe(
      "2026-01-15T09:00:00.000Z",
    );
  });

  it("goes from a Friday evening, a Saturday or a Sunday to Monday", () => {
    expect(iso(nextBusinessDay({ from: at("2026-01-16T22:00:00Z") }))).toBe(
      "2026-01-19T09:00:00.000Z",
    );
    expect(iso(nextBusinessDay({ from: at("2026-01-17T08:00:00Z") }))).toBe(
      "2026-01-19T09:00:00.000Z",
    );
    expect(iso(nextBusinessDay({ from: at("2026-01-18T23:59:59.999Z") }))).toBe(
      "2026-01-19T09:00:00.000Z",
    );
    expect(iso(nextBusinessDay({ from: at("2026-01-19T00:00:00Z") }))).toBe(
      "2026-01-20T09:00:00.000Z",
    );
  });

  it("honours hour and minute", () => {
    expect(iso(nextBusinessDay({ hour: 17, minute: 45, from: at("2026-01-14T08:00:00Z") }))).toBe(
      "2026-01-15T17:45:00.000Z",
    );
    expect(iso(nextBusinessDay({ hour: 0, minute: 0, from: at("2026-01-14T08:00:00Z") }))).toBe(
      "2026-01-15T00:00:00.000Z",
    );
    expect(iso(nextBusinessDay({ hour: 23, minute: 59, from: at("2026-01-14T08:00:00Z") }))).toBe(
      "2026-01-15T23:59:00.000Z",
    );
  });

  it("crosses the New York spring-forward weekend (Friday evening EST → Monday 09:00 EDT)", () => {
    // Friday 2026-03-06 23:00 EST is already Saturday in UTC.
    expect(
      iso(nextBusinessDay({ timezone: "America/New_York", from: at("2026-03-07T04:00:00Z") })),
    ).toBe("2026-03-09T13:00:00.000Z");
  });

  it("crosses the New York fall-back weekend", () => {
    expect(
      iso(nextBusinessDay({ timezone: "America/New_York", from: at("2026-10-31T16:00:00Z") })),
    ).toBe("2026-11-02T14:00:00.000Z");
  });

  it("crosses Berlin's transitions", () => {
    // Friday 2026-03-27 19:00 CET → Monday 09:00 CEST.
    expect(
      iso(nextBusinessDay({ timezone: "Europe/Berlin", from: at("2026-03-27T18:00:00Z") })),
    ).toBe("2026-03-30T07:00:00.000Z");
    // Saturday 2026-10-24 → Monday 09:00 CET.
    expect(
      iso(nextBusinessDay({ timezone: "Europe/Berlin", from: at("2026-10-24T10:00:00Z") })),
    ).toBe("2026-10-26T08:00:00.000Z");
  });

  it("crosses Sydney's end of DST (Friday 20:00 AEDT → Monday 09:00 AEST)", () => {
    expect(
      iso(nextBusinessDay({ timezone: "Australia/Sydney", from: at("2026-04-03T09:00:00Z") })),
    ).toBe("2026-04-05T23:00:00.000Z");
  });

  it("takes the date in the target time zone, not in UTC", () => {
    // Thursday 20:00 UTC is Friday 01:30 in Kolkata → Monday 09:00 IST.
    expect(
      iso(nextBusinessDay({ timezone: "Asia/Kolkata", from: at("2026-01-15T20:00:00Z") })),
    ).toBe("2026-01-19T03:30:00.000Z");
    // Friday 03:00 UTC is still Thursday 19:00 in Los Angeles → Friday 09:00 PST.
    expect(
      iso(nextBusinessDay({ timezone: "America/Los_Angeles", from: at("2026-01-16T03:00:00Z") })),
    ).toBe("2026-01-16T17:00:00.000Z");
  });

  it("keeps the local time across a transition weekend (02:30 exists on Monday)", () => {
    expect(
      iso(
        nextBusinessDay({
          timezone: "America/New_York",
          hour: 2,
          minute: 30,
          from: at("2026-03-06T15:00:00Z"),
        }),
      ),
    ).toBe("2026-03-09T06:30:00.000Z");
  });

  it("defaults `from` to now", () => {
    vi.useFakeTimers();
    vi.setSystemTime(at("2026-01-16T22:00:00Z"));
    expect(iso(nextBusinessDay())).toBe("2026-01-19T09:00:00.000Z");
    expect(iso(nextBusinessDay({ timezone: "Asia/Kolkata" }))).toBe("2026-01-19T03:30:00.000Z");
  });

  it("does not mutate `from`", () => {
    const from = at("2026-01-16T22:00:00Z");
    nextBusinessDay({ from, timezone: "Europe/Berlin" });
    expect(iso(from)).toBe("2026-01-16T22:00:00.000Z");
  });

  afterEach(() => {
    vi.useRealTimers();
  });
});

describe("nextWeekday", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("gives the next such weekday at 09:00 UTC by default", () => {
    // Wednesday 2026-01-14.
    const from = at("2026-01-14T12:00:00Z");
    expect(iso(nextWeekday("thursday", { from }))).toBe("2026-01-15T09:00:00.000Z");
    expect(iso(nextWeekday("saturday", { from }))).toBe("2026-01-17T09:00:00.000Z");
    expect(iso(nextWeekday("sunday", { from }))).toBe("2026-01-18T09:00:00.000Z");
    expect(iso(nextWeekday("monday", { from }))).toBe("2026-01-19T09:00:00.000Z");
    expect(iso(nextWeekday("tuesday", { from }))).toBe("2026-01-20T09:00:00.000Z");
  });

  it("on the same weekday, gives the one a week later (even before the time of day)", () => {
    expect(iso(nextWeekday("monday", { from: at("2026-01-19T03:00:00Z") }))).toBe(
      "2026-01-26T09:00:00.000Z",
    );
    expect(iso(nextWeekday("wednesday", { from: at("2026-01-14T00:00:00Z") }))).toBe(
      "2026-01-21T09:00:00.000Z",
    );
  });

  it("accepts names in any case and 3-letter abbreviations", () => {
    const from = at("2026-01-14T12:00:00Z");
    for (const name of ["monday", "Monday", "MONDAY", "mOnDaY", "mon", "Mon", "MON"]) {
      expect(iso(nextWeekday(name, { from }))).toBe("2026-01-19T09:00:00.000Z");
    }
    expect(iso(nextWeekday("thu", { from }))).toBe("2026-01-15T09:00:00.000Z");
    expect(iso(nextWeekday("Sat", { from }))).toBe("2026-01-17T09:00:00.000Z");
  });

  it("maps a nonexistent local time to just after the gap (New York 02:30 → 03:30 EDT)", () => {
    expect(
      iso(
        nextWeekday("sunday", {
          timezone: "America/New_York",
          hour: 2,
          minute: 30,
          from: at("2026-03-01T17:00:00Z"),
        }),
      ),
    ).toBe("2026-03-08T07:30:00.000Z");
  });

  it("maps an ambiguous local time to the earlier instant (New York 01:30 EDT)", () => {
    expect(
      iso(
        nextWeekday("sun", {
          timezone: "America/New_York",
          hour: 1,
          minute: 30,
          from: at("2026-10-30T12:00:00Z"),
        }),
      ),
    ).toBe("2026-11-01T05:30:00.000Z");
  });

  it("handles Berlin's gap and overlap", () => {
    expect(
      iso(
        nextWeekday("sunday", {
          timezone: "Europe/Berlin",
          hour: 2,
          minute: 30,
          from: at("2026-03-27T12:00:00Z"),
        }),
      ),
    ).toBe("2026-03-29T01:30:00.000Z");
    expect(
      iso(
        nextWeekday("sunday", {
          timezone: "Europe/Berlin",
          hour: 2,
          minute: 30,
          from: at("2026-10-23T12:00:00Z"),
        }),
      ),
    ).toBe("2026-10-25T00:30:00.000Z");
  });

  it("handles Sydney's gap and overlap", () => {
    expect(
      iso(
        nextWeekday("sunday", {
          timezone: "Australia/Sydney",
          hour: 2,
          minute: 30,
          from: at("2026-04-01T00:00:00Z"),
        }),
      ),
    ).toBe("2026-04-04T15:30:00.000Z");
    expect(
      iso(
        nextWeekday("sunday", {
          timezone: "Australia/Sydney",
          hour: 2,
          minute: 30,
          from: at("2026-10-01T00:00:00Z"),
        }),
      ),
    ).toBe("2026-10-03T16:30:00.000Z");
  });

  it("takes the date in the target time zone (Kolkata half-hour offset)", () => {
    // Thursday 20:00 UTC is Friday 01:30 in Kolkata: the next Friday is a week later.
    const from = at("2026-01-15T20:00:00Z");
    expect(iso(nextWeekday("friday", { timezone: "Asia/Kolkata", from }))).toBe(
      "2026-01-23T03:30:00.000Z",
    );
    expect(iso(nextWeekday("friday", { from }))).toBe("2026-01-16T09:00:00.000Z");
    expect(
      iso(nextWeekday("saturday", { timezone: "Asia/Kolkata", hour: 14, minute: 45, from })),
    ).toBe("2026-01-17T09:15:00.000Z");
  });

  it("defaults `from` to now", () => {
    vi.useFakeTimers();
    vi.setSystemTime(at("2026-01-19T03:00:00Z"));
    expect(iso(nextWeekday("monday"))).toBe("2026-01-26T09:00:00.000Z");
  });
});

describe("endOfDay", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("gives 23:59:59.999 UTC by default", () => {
    expect(iso(endOfDay({ from: at("2026-01-15T00:00:00Z") }))).toBe("2026-01-15T23:59:59.999Z");
    expect(iso(endOfDay({ from: at("2026-01-15T23:59:59.999Z") }))).toBe(
      "2026-01-15T23:59:59.999Z",
    );
  });

  it("defaults `from` to now", () => {
    vi.useFakeTimers();
    vi.setSystemTime(at("2026-06-30T12:00:00Z"));
    expect(iso(endOfDay())).toBe("2026-06-30T23:59:59.999Z");
    expect(iso(endOfDay({ timezone: "Europe/Berlin" }))).toBe("2026-06-30T21:59:59.999Z");
  });

  it("handles New York's 23-hour and 25-hour days", () => {
    const short = at("2026-03-08T12:00:00Z");
    expect(iso(endOfDay({ timezone: "America/New_York", from: short }))).toBe(
      "2026-03-09T03:59:59.999Z",
    );
    expect(dayLengthHours("America/New_York", short)).toBe(23);
    const long = at("2026-11-01T12:00:00Z");
    expect(iso(endOfDay({ timezone: "America/New_York", from: long }))).toBe(
      "2026-11-02T04:59:59.999Z",
    );
    expect(dayLengthHours("America/New_York", long)).toBe(25);
  });

  it("handles Berlin's 23-hour and 25-hour days", () => {
    const short = at("2026-03-29T10:00:00Z");
    expect(iso(endOfDay({ timezone: "Europe/Berlin", from: short }))).toBe(
      "2026-03-29T21:59:59.999Z",
    );
    expect(dayLengthHours("Europe/Berlin", short)).toBe(23);
    const long = at("2026-10-25T10:00:00Z");
    expect(iso(endOfDay({ timezone: "Europe/Berlin", from: long }))).toBe(
      "2026-10-25T22:59:59.999Z",
    );
    expect(dayLengthHours("Europe/Berlin", long)).toBe(25);
  });

  it("handles Sydney's 25-hour and 23-hour days", () => {
    const long = at("2026-04-05T01:00:00Z");
    expect(iso(endOfDay({ timezone: "Australia/Sydney", from: long }))).toBe(
      "2026-04-05T13:59:59.999Z",
    );
    expect(dayLengthHours("Australia/Sydney", long)).toBe(25);
    const short = at("2026-10-04T01:00:00Z");
    expect(iso(endOfDay({ timezone: "Australia/Sydney", from: short }))).toBe(
      "2026-10-04T12:59:59.999Z",
    );
    expect(dayLengthHours("Australia/Sydney", short)).toBe(23);
  });

  it("takes the date in the target time zone (Kolkata is already on the next date)", () => {
    expect(iso(endOfDay({ timezone: "Asia/Kolkata", from: at("2026-01-15T20:00:00Z") }))).toBe(
      "2026-01-16T18:29:59.999Z",
    );
    expect(iso(endOfDay({ from: at("2026-01-15T20:00:00Z") }))).toBe("2026-01-15T23:59:59.999Z");
    expect(
      iso(endOfDay({ timezone: "America/Los_Angeles", from: at("2026-01-16T03:00:00Z") })),
    ).toBe("2026-01-16T07:59:59.999Z");
  });

  it("is the last instant of the day when clocks change at midnight (America/Santiago)", () => {
    // 2026-09-05 ends at 24:00 -04, when clocks jump to 01:00 -03.
    expect(iso(endOfDay({ timezone: "America/Santiago", from: at("2026-09-05T12:00:00Z") }))).toBe(
      "2026-09-06T03:59:59.999Z",
    );
    // 2026-04-04 23:00-23:59 happens twice; the day ends after the second one.
    expect(iso(endOfDay({ timezone: "America/Santiago", from: at("2026-04-04T12:00:00Z") }))).toBe(
      "2026-04-05T03:59:59.999Z",
    );
  });
});

describe("validation", () => {
  const from = at("2026-01-14T12:00:00Z");

  it("rejects an unknown time zone, naming it", () => {
    const error = expectValidation(
      () => nextBusinessDay({ timezone: "Mars/Olympus", from }),
      /Mars\/Olympus/,
    );
    expect(error.issues[0]?.path).toEqual(["timezone"]);
    expectValidation(() => nextWeekday("monday", { timezone: "Mars/Olympus", from }), /Mars/);
    expectValidation(() => endOfDay({ timezone: "Mars/Olympus", from }), /Mars\/Olympus/);
    expectValidation(() => endOfDay({ timezone: "", from }));
    expectValidation(() => endOfDay({ timezone: 5 as unknown as string, from }));
    expectValidation(() => nextBusinessDay({ timezone: "+05:30", from }), /\+05:30/);
  });

  it("accepts IANA names in any case and aliases", () => {
    expect(iso(endOfDay({ timezone: "asia/kolkata", from }))).toBe("2026-01-14T18:29:59.999Z");
    expect(iso(endOfDay({ timezone: "US/Eastern", from }))).toBe("2026-01-15T04:59:59.999Z");
  });

  it("rejects an hour or minute that is not an integer in range", () => {
    for (const hour of [-1, 24, 9.5, NaN, Infinity, "9"]) {
      const error = expectValidation(() => nextBusinessDay({ hour: hour as number, from }), /hour/);
      expect(error.issues[0]?.path).toEqual(["hour"]);
      expectValidation(() => nextWeekday("monday", { hour: hour as number, from }), /hour/);
    }
    for (const minute of [-1, 60, 0.5, NaN, "0"]) {
      expectValidation(() => nextBusinessDay({ minute: minute as number, from }), /minute/);
      expectValidation(() => nextWeekday("friday", { minute: minute as number, from }), /minute/);
    }
  });

  it("rejects an unknown weekday", () => {
    for (const name of ["mond", "mo", "funday", "", " monday", "lundi", 1, null]) {
      const error = expectValidation(() => nextWeekday(name as string, { from }), /weekday/i);
      expect(error.issues[0]?.path).toEqual(["weekday"]);
    }
  });

  it("rejects an invalid `from`", () => {
    for (const bad of [new Date("not a date"), "2026-01-14", 1_768_392_000_000, null]) {
      const value = bad as unknown as Date;
      const error = expectValidation(() => nextBusinessDay({ from: value }), /from/);
      expect(error.issues[0]?.path).toEqual(["from"]);
      expectValidation(() => nextWeekday("monday", { from: value }), /from/);
      expectValidation(() => endOfDay({ from: value }), /from/);
    }
  });

  it("rejects options that are not an object", () => {
    expectValidation(() => nextBusinessDay(null as unknown as undefined));
    expectValidation(() => endOfDay("UTC" as unknown as undefined));
    expectValidation(() => nextWeekday("monday", 5 as unknown as undefined));
  });
});
