import type { Driver } from "./driver.js";
import { channelOf, quotedSchema } from "./identifiers.js";

/** What every query module needs: the driver, the quoted schema and the NOTIFY channel. */
export class StoreBase {
  /** Quoted schema name, safe to interpolate. */
  readonly schema: string;
  /** NOTIFY channel of this prefix. */
  readonly channel: string;

  /** Wake-up notices sent after the writes they announce commit. */
  readonly notifier: Notifier;

  constructor(
    readonly driver: Driver,
    readonly prefix: string,
  ) {
    this.schema = quotedSchema(prefix);
    this.channel = channelOf(prefix);
    this.notifier = new Notifier(driver, this.channel);
  }

  /** `<schema>.<table>`. */
  t(table: string): string {
    return `${this.schema}.${table}`;
  }
}

/**
 * Sends NOTIFY payloads after the write they announce has committed, batched per tick
 * and deduplicated, in a statement of their own that does not wait for a WAL flush.
 * A `pg_notify` inside a durable write would hold PostgreSQL's notify-queue lock
 * until that write's commit is flushed, serializing every notifying commit. The
 * notices are wake-up hints only (polling is the fallback), so losing one to a crash
 * between the commit and the notice costs at most one poll interval.
 */
export class Notifier {
  private pending = new Set<string>();
  private scheduled = false;

  constructor(
    private readonly driver: Driver,
    private readonly channel: string,
  ) {}

  send(payload: string): void {
    this.pending.add(payload);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const payloads = [...this.pending];
    this.pending.clear();
    this.scheduled = false;
    if (payloads.length === 0) return;
    await this.driver
      .query(
        `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, p)
         FROM unnest($2::text[]) AS p`,
        [this.channel, payloads],
      )
      .catch(() => undefined); // a lost hint: pollers pick the work up
  }
}

/** Notification payloads on a prefix's channel. */
export const Notice = {
  /** Work may be available on a queue (at `at`, epoch ms, when given). */
  work: (queue: string, at?: number) => (at === undefined ? `w:${queue}` : `w:${queue}@${at}`),
  /** An execution was cancelled: its owner should abort it. */
  cancel: (id: string) => `c:${id}`,
  /** An execution reached a terminal status; `origin` names the engine that ended it. */
  done: (status: string, origin: string, workflow: string, id: string) =>
    `d:${status}:${origin}:${workflow}:${id}`,
} as const;
