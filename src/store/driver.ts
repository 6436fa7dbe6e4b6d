/**
 * The database driver abstraction: the one seam between the store's SQL and the
 * two supported drivers (node-postgres and PGlite).
 * @module
 */

/** Rows returned by a query. */
export interface QueryResult<Row = Record<string, unknown>> {
  rows: Row[];
}

/** Something that runs parameterized SQL: a driver, or a transaction on it. */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A database connection source the store runs on. */
export interface Driver extends Queryable {
  /** `"pg"` or `"pglite"`. */
  readonly kind: "pg" | "pglite";
  /** Runs `fn` inside one transaction on one connection. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Subscribes to a NOTIFY channel. The callback receives each payload.
   * Resolves to an unsubscribe function.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Releases what the driver opened itself (a pool or PGlite it created). */
  close(): Promise<void>;
}
