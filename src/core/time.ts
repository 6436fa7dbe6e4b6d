/**
 * Time helpers: pure functions that compute instants from local ("wall clock") times in
 * an IANA time zone, such as "next business day at 09:00 in Europe/Berlin".
 *
 * No dependency: conversions use the built-in `Intl.DateTimeFormat`, which knows every
 * zone's offsets (including daylight-saving changes) by IANA name.
 *
 * Daylight-saving rules, applied everywhere a local time is turned into an instant:
 * - A local time that does not exist (the spring-forward gap) is moved forward by the
 *   length of the gap, landing just after it: 02:30 on 2026-03-08 in America/New_York
 *   becomes 03:30 EDT (07:30Z).
 * - A local time that happens twice (the fall-back overlap) maps to the EARLIER instant:
 *   01:30 on 2026-11-01 in America/New_York becomes 01:30 EDT (05:30Z), not 01:30 EST.
 *
 * Dates ("`from`'s date") are always taken in the target time zone, not in UTC or the
 * host's zone.
 * @module
 */
import { ValidationError } from "./errors.js";

/** A local date and time in some time zone, as returned by {@link instantToZoned}. */
export interface ZonedDateTime {
  /** Full year, proleptic Gregorian (astronomical numbering: 1 BC is 0). */
  year: number;
  /** Month, 1-12. */
  month: number;
  /** Day of month, 1-31. */
  day: number;
  /** Hour, 0-23. */
  hour: number;
  /** Minute, 0-59. */
  minute: number;
  /** Second, 0-59. */
  second: number;
  /** Millisecond, 0-999. */
  millisecond: number;
  /** Day of week, 0 (Sunday) to 6 (Saturday), as `Date#getDay`. */
  weekday: number;
  /** Offset from UTC in milliseconds at that instant (e.g. -14_400_000 for EDT). */
  offsetMs: number;
}

/** Full English weekday names, lower case, a `Date#getDay` index each. */
export type WeekdayName =
  "sunday" | "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday";

/** Options shared by the helpers. */
export interface TimeZoneOptions {
  /** IANA time zone name, e.g. `"Europe/Berlin"`. Default `"UTC"`. */
  timezone?: string;
  /** The reference instant. Default: now (`new Date()`). */
  from?: Date;
}

/** Options of {@link nextBusinessDay} and {@link nextWeekday}. */
export interface LocalTimeOptions extends TimeZoneOptions {
  /** Local hour, integer 0-23. Default 9. */
  hour?: number;
  /** Local minute, integer 0-59. Default 0. */
  minute?: number;
}

const WEEKDAYS: readonly WeekdayName[] = [
  "sunday",
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
];

const MS_PER_DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Returns a cached formatter for `timezone`, or throws {@link ValidationError} naming it. */
function formatterFor(timezone: unknown): Intl.DateTimeFormat {
  if (typeof timezone !== "string" || timezone === "") {
    throw new ValidationError(
      `Invalid time zone ${JSON.stringify(timezone) ?? String(timezone)}: expected an IANA time zone name such as "Europe/Berlin"`,
      [{ message: "expected an IANA time zone name", path: ["timezone"] }],
    );
  }
  let formatter = formatters.get(timezone);
  if (formatter) return formatter;
  try {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      calendar: "gregory",
      numberingSystem: "latn",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      hourCycle: "h23",
    });
  } catch {
    throw new ValidationError(
      `Unknown time zone "${timezone}": expected an IANA time zone name such as "Europe/Berlin"`,
      [{ message: `unknown time zone "${timezone}"`, path: ["timezone"] }],
    );
  }
  formatters.set(timezone, formatter);
  return formatter;
}

/** `Date.UTC` without its 0-99 → 1900-1999 year mapping. NaN when out of range. */
function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/** Local wall time of instant `t` (whole seconds) in the formatter's zone, as UTC ms. */
function wallSeconds(formatter: Intl.DateTimeFormat, t: number): number {
  const fields: Record<string, string> = {};
  for (const part of formatter.formatToParts(t)) fields[part.type] = part.value;
  let year = Number(fields.year);
  if (fields.era === "BC" || fields.era === "B") year = 1 - year;
  const hour = Number(fields.hour) % 24; // guard against "24" from old ICU versions
  return utcMs(
    year,
    Number(fields.month),
    Number(fields.day),
    hour,
    Number(fields.minute),
    Number(fields.second),
  );
}

/** Offset from UTC (ms) of the formatter's zone at instant `t`. */
function offsetAt(formatter: Intl.DateTimeFormat, t: number): number {
  const whole = t - (((t % 1000) + 1000) % 1000);
  return wallSeconds(formatter, whole) - whole;
}

function checkDate(from: unknown, name = "from"): Date {
  if (Object.prototype.toString.call(from) !== "[object Date]") {
    throw new ValidationError(`Invalid "${name}": expected a Date`, [
      { message: "expected a Date", path: [name] },
    ]);
  }
  const date = from as Date;
  if (Number.isNaN(date.getTime())) {
    throw new ValidationError(`Invalid "${name}": the Date is invalid`, [
      { message: "invalid Date", path: [name] },
    ]);
  }
  return date;
}

function checkInt(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      `Invalid "${name}": expected an integer from ${min} to ${max}, got ${String(value)}`,
      [{ message: `expected an integer from ${min} to ${max}`, path: [name] }],
    );
  }
  return value;
}

/**
 * Local date and time of an instant in an IANA time zone.
 *
 * @param date - The instant. An invalid Date throws {@link ValidationError}.
 * @param timezone - IANA time zone name. Unknown names throw {@link ValidationError}.
 * @returns The zone's wall-clock fields at that instant, its weekday and UTC offset.
 * @example instantToZoned(new Date("2026-03-08T07:30:00Z"), "America/New_York")
 *   // { year: 2026, month: 3, day: 8, hour: 3, minute: 30, ..., offsetMs: -14_400_000 }
 */
export function instantToZoned(date: Date, timezone: string): ZonedDateTime {
  const t = checkDate(date, "date").getTime();
  const formatter = formatterFor(timezone);
  const offsetMs = offsetAt(formatter, t);
  const wall = new Date(t + offsetMs);
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    millisecond: wall.getUTCMilliseconds(),
    weekday: wall.getUTCDay(),
    offsetMs,
  };
}

/**
 * The instant at which the wall clock of `timezone` shows the given local date and time.
 *
 * Out-of-range fields roll over as with `Date.UTC` (day 32 is the next month's 1st).
 * Daylight-saving changes:
 * - a local time inside a spring-forward gap does not exist; it is moved forward by the
 *   gap's length (02:30 on 2026-03-08 in America/New_York → 03:30 EDT, `07:30Z`);
 * - a local time inside a fall-back overlap happens twice; the EARLIER instant is
 *   returned (01:30 on 2026-11-01 in America/New_York → 01:30 EDT, `05:30Z`).
 *
 * @param year - Full year (0-99 are not mapped to 1900-1999).
 * @param month - Month, 1-12.
 * @param day - Day of month, 1-31.
 * @param hour - Hour, 0-23.
 * @param minute - Minute, 0-59.
 * @param second - Second, 0-59.
 * @param millisecond - Millisecond, 0-999.
 * @param timezone - IANA time zone name. Unknown names throw {@link ValidationError}.
 * @returns The instant, as a `Date`.
 * @example zonedTimeToInstant(2026, 3, 9, 9, 0, 0, 0, "America/New_York").toISOString()
 *   // "2026-03-09T13:00:00.000Z"
 */
export function zonedTimeToInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond: number,
  timezone: string,
): Date {
  const formatter = formatterFor(timezone);
  const wall = utcMs(year, month, day, hour, minute, second, millisecond);
  if (Number.isNaN(wall)) {
    throw new ValidationError("Local date and time out of range", [
      { message: "local date and time out of range" },
    ]);
  }
  // Candidate offsets: the zone's offsets around that wall time. Offsets stay within
  // about ±14 h, so one day either side covers any transition affecting it.
  const candidates = new Set<number>();
  for (const probe of [wall - MS_PER_DAY, wall + MS_PER_DAY]) {
    const offset = offsetAt(formatter, probe);
    candidates.add(offset);
    candidates.add(offsetAt(formatter, wall - offset));
  }
  const instants = [...candidates].map((offset) => ({ offset, t: wall - offset }));
  const valid = instants.filter(({ offset, t }) => offsetAt(formatter, t) === offset);
  let result: number;
  if (valid.length > 0) {
    // Ambiguous (fall-back overlap): the earlier instant.
    result = Math.min(...valid.map(({ t }) => t));
  } else {
    // Gap (spring forward): apply the offset in force before the gap, which lands the
    // same distance after the gap as the wall time is after its start.
    const earliest = Math.min(...instants.map(({ t }) => t));
    result = wall - offsetAt(formatter, earliest);
  }
  const out = new Date(result);
  if (Number.isNaN(out.getTime())) {
    throw new ValidationError("Resulting date out of range", [
      { message: "resulting date out of range" },
    ]);
  }
  return out;
}

function checkOptions(options: unknown, name: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ValidationError(`Invalid ${name} options: expected an object`, [
      { message: "expected an object" },
    ]);
  }
  return options as Record<string, unknown>;
}

interface Resolved {
  timezone: string;
  from: Date;
  hour: number;
  minute: number;
}

function resolve(options: unknown, name: string): Resolved {
  const opts = checkOptions(options, name);
  const timezone = opts.timezone === undefined ? "UTC" : opts.timezone;
  formatterFor(timezone);
  return {
    timezone: timezone as string,
    from: opts.from === undefined ? new Date() : checkDate(opts.from),
    hour: opts.hour === undefined ? 9 : checkInt(opts.hour, "hour", 0, 23),
    minute: opts.minute === undefined ? 0 : checkInt(opts.minute, "minute", 0, 59),
  };
}

/** Parses a weekday name: full English name or 3-letter abbreviation, any case. */
function parseWeekday(weekday: unknown): number {
  if (typeof weekday === "string") {
    const name = weekday.toLowerCase();
    const index = WEEKDAYS.findIndex(
      (w) => w === name || (name.length === 3 && w.startsWith(name)),
    );
    if (index >= 0) return index;
  }
  throw new ValidationError(
    `Invalid weekday ${JSON.stringify(weekday) ?? String(weekday)}: expected an English day name such as "monday" or "mon"`,
    [{ message: "expected an English day name", path: ["weekday"] }],
  );
}

/**
 * First local date strictly after `from`'s local date whose weekday passes `accept`, at
 * `hour:minute` local time.
 */
function nextMatchingDay(r: Resolved, accept: (weekday: number) => boolean): Date {
  const today = instantToZoned(r.from, r.timezone);
  for (let offset = 1; offset <= 7; offset++) {
    const date = new Date(utcMs(today.year, today.month, today.day + offset));
    if (accept(date.getUTCDay())) {
      return zonedTimeToInstant(
        date.getUTCFullYear(),
        date.getUTCMonth() + 1,
        date.getUTCDate(),
        r.hour,
        r.minute,
        0,
        0,
        r.timezone,
      );
    }
  }
  /* c8 ignore next */
  throw new Error("unreachable: every weekday occurs within 7 days");
}

/**
 * The first Monday to Friday strictly after `from`'s date (taken in `timezone`), at
 * `hour:minute` local time. From a Friday (any time) or a Saturday, that is the Monday.
 * Public holidays are not considered.
 *
 * @param options - `hour` (0-23, default 9), `minute` (0-59, default 0), `timezone`
 *   (IANA name, default `"UTC"`), `from` (default now).
 * @returns The instant. DST gaps and overlaps follow {@link zonedTimeToInstant}.
 * @throws {@link ValidationError} for an unknown time zone, an hour or minute that is
 *   not an integer in range, or an invalid `from`.
 * @example nextBusinessDay({ timezone: "Europe/Berlin", from: new Date("2026-03-27T18:00:00Z") })
 *   // 2026-03-30T07:00:00.000Z (Monday 09:00 CEST)
 */
export function nextBusinessDay(options?: LocalTimeOptions): Date {
  const r = resolve(options, "nextBusinessDay");
  return nextMatchingDay(r, (weekday) => weekday >= 1 && weekday <= 5);
}

/**
 * The next given weekday strictly after `from`'s date (taken in `timezone`), at
 * `hour:minute` local time. On that weekday itself, the one a week later.
 *
 * @param weekday - English day name ({@link WeekdayName}) in any case, `"monday"` to
 *   `"sunday"`, or its 3-letter abbreviation (`"mon"`).
 * @param options - `hour` (0-23, default 9), `minute` (0-59, default 0), `timezone`
 *   (IANA name, default `"UTC"`), `from` (default now).
 * @returns The instant. DST gaps and overlaps follow {@link zonedTimeToInstant}.
 * @throws {@link ValidationError} for an unknown weekday or time zone, an hour or minute
 *   that is not an integer in range, or an invalid `from`.
 * @example nextWeekday("monday", { from: new Date("2026-03-09T10:00:00Z") })
 *   // 2026-03-16T09:00:00.000Z
 */
export function nextWeekday(weekday: string, options?: LocalTimeOptions): Date {
  const target = parseWeekday(weekday);
  const r = resolve(options, "nextWeekday");
  return nextMatchingDay(r, (w) => w === target);
}

/**
 * The last millisecond of `from`'s date (taken in `timezone`): 23:59:59.999 local time.
 * Computed as one millisecond before the next local day starts, so it is right on 23- and
 * 25-hour days, and when a zone's clocks change at midnight.
 *
 * @param options - `timezone` (IANA name, default `"UTC"`), `from` (default now).
 * @returns The instant.
 * @throws {@link ValidationError} for an unknown time zone or an invalid `from`.
 * @example endOfDay({ timezone: "Asia/Kolkata", from: new Date("2026-01-15T20:00:00Z") })
 *   // 2026-01-16T18:29:59.999Z (it is already 16 January in Kolkata)
 */
export function endOfDay(options?: TimeZoneOptions): Date {
  const opts = checkOptions(options, "endOfDay");
  const timezone = opts.timezone === undefined ? "UTC" : opts.timezone;
  formatterFor(timezone);
  const from = opts.from === undefined ? new Date() : checkDate(opts.from);
  const today = instantToZoned(from, timezone as string);
  const nextStart = zonedTimeToInstant(
    today.year,
    today.month,
    today.day + 1,
    0,
    0,
    0,
    0,
    timezone as string,
  );
  return new Date(nextStart.getTime() - 1);
}
