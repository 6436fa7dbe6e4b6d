/**
 * Shared bits of the schedule tests: a settable clock, polling, and reading the
 * executions a schedule started.
 */
import type { Clock, Durable } from "../../src/index.js";

/** A clock the test moves by hand. The scheduler reads it for every time it computes. */
export class FakeClock implements Clock {
  private t: number;
  constructor(start: string | number) {
    this.t = typeof start === "string" ? Date.parse(start) : start;
  }
  now = (): number => this.t;
  set(to: string | number): void {
    this.t = typeof to === "string" ? Date.parse(to) : to;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Polls `check` until it returns a truthy value; fails after `ms` naming `what`. */
export async function until<T>(
  what: string,
  check: () => Promise<T> | T,
  ms = 10_000,
  every = 10,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/** Fire times (ISO) of the executions a schedule started, oldest first. */
export async function fireTimes(durable: Durable, schedule: string): Promise<string[]> {
  const all = await durable.listExecutions({ limit: 1000 });
  return all
    .filter((e) => e.scheduleName === schedule)
    .map((e) => e.scheduleFireAt?.toISOString() ?? "manual")
    .sort();
}

/**
 * Waits until the scheduler has looked at `schedule` at the clock's current time:
 * its `nextRunAt` is in the future (or it is disabled).
 */
export async function settled(durable: Durable, clock: FakeClock, schedule: string) {
  return until(
    `schedule "${schedule}" to be processed at ${new Date(clock.now()).toISOString()}`,
    async () => {
      const s = await durable.getSchedule(schedule);
      if (!s) throw new Error(`no schedule "${schedule}"`);
      return !s.enabled || (s.nextRunAt !== null && s.nextRunAt.getTime() > clock.now()) ? s : null;
    },
  );
}

/** Options that make the scheduler look often in real time (fake-clock tests). */
export const FAST = { schedulerInterval: 20 } as const;
