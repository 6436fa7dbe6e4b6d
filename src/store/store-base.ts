import type { Driver } from "./driver.js";
import { channelOf, quotedSchema } from "./identifiers.js";

/** What every query module needs: the driver, the quoted schema and the NOTIFY channel. */
export class StoreBase {
  /** Quoted schema name, safe to interpolate. */
  readonly schema: string;
  /** NOTIFY channel of this prefix. */
  readonly channel: string;

  constructor(
    readonly driver: Driver,
    readonly prefix: string,
  ) {
    this.schema = quotedSchema(prefix);
    this.channel = channelOf(prefix);
  }

  /** `<schema>.<table>`. */
  t(table: string): string {
    return `${this.schema}.${table}`;
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
