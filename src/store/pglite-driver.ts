import { PGlite } from "@electric-sql/pglite";
import type { Driver, Queryable, QueryResult } from "./driver.js";

type PGliteLike = Pick<PGlite, "query" | "exec" | "transaction" | "listen" | "close">;

class PGliteQueryable implements Queryable {
  constructor(protected readonly db: Pick<PGliteLike, "query" | "exec">) {}

  async query<Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
    const res = await this.db.query<Row>(sql, params as unknown[]);
    return { rows: res.rows };
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }
}

/** A {@link Driver} over an embedded PGlite database (one connection, in process). */
export class PGliteDriver extends PGliteQueryable implements Driver {
  readonly kind = "pglite" as const;
  private readonly owns: boolean;
  private readonly pglite: PGliteLike;

  private constructor(db: PGliteLike, owns: boolean) {
    super(db);
    this.pglite = db;
    this.owns = owns;
  }

  /** Wraps an instance the caller opened (left open on close). */
  static wrap(db: PGliteLike): PGliteDriver {
    return new PGliteDriver(db, false);
  }

  /** Opens (creating if needed) a PGlite database in `dataDir`. */
  static async open(dataDir: string): Promise<PGliteDriver> {
    const db = await PGlite.create(dataDir);
    return new PGliteDriver(db, true);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pglite.transaction((tx) => fn(new PGliteQueryable(tx)));
  }

  async listen(
    channel: string,
    onPayload: (payload: string) => void,
  ): Promise<() => Promise<void>> {
    const unlisten = await this.pglite.listen(channel, onPayload);
    return async () => {
      await unlisten();
    };
  }

  async close(): Promise<void> {
    if (this.owns) await this.pglite.close();
  }
}

/** Whether a value looks like a PGlite instance. */
export function isPGlite(value: unknown): value is PGliteLike {
  return (
    value instanceof PGlite ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as PGliteLike).query === "function" &&
      typeof (value as PGliteLike).listen === "function" &&
      typeof (value as PGliteLike).exec === "function" &&
      typeof (value as { waitReady?: unknown }).waitReady !== "undefined")
  );
}
