import { createHash } from "node:crypto";
import pg from "pg";
import type { Driver, Queryable, QueryResult } from "./driver.js";
import type { Logger } from "../core/types.js";

/** Options of the node-postgres driver. */
export interface PgDriverOptions {
  /** Connection string or an existing pool (left open on close). */
  database: string | pg.Pool;
  /** Pool size when the driver creates the pool. */
  poolSize?: number;
  logger?: Logger;
  /**
   * Run parameterized statements as named prepared statements (default true): the
   * server parses and plans each once per connection instead of on every call. Turn it
   * off behind a pooler in transaction mode (PgBouncer before 1.21).
   */
  preparedStatements?: boolean;
}

/** Names of prepared statements by SQL text (per driver; texts are a bounded set). */
type StatementNames = Map<string, string> | null;

class PgQueryable implements Queryable {
  constructor(
    private readonly client: pg.Pool | pg.PoolClient,
    protected readonly names: StatementNames,
  ) {}

  async query<Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
    if (this.names && params && params.length > 0) {
      let name = this.names.get(sql);
      if (name === undefined) {
        if (this.names.size > 2000) this.names.clear();
        name = `durable_${createHash("sha1").update(sql).digest("hex").slice(0, 24)}`;
        this.names.set(sql, name);
      }
      const res = await this.client.query({ name, text: sql, values: params });
      return { rows: res.rows as Row[] };
    }
    const res = await this.client.query(sql, params as unknown[]);
    return { rows: res.rows as Row[] };
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }
}

/** A {@link Driver} over a node-postgres pool. */
export class PgDriver extends PgQueryable implements Driver {
  readonly kind = "pg" as const;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly config: string | pg.PoolConfig;
  private readonly logger: Logger | undefined;
  private readonly listeners = new Set<pg.Client>();

  constructor(options: PgDriverOptions) {
    const ownsPool = typeof options.database === "string";
    const pool =
      typeof options.database === "string"
        ? new pg.Pool({ connectionString: options.database, max: options.poolSize ?? 10 })
        : options.database;
    const names = options.preparedStatements === false ? null : new Map<string, string>();
    super(pool, names);
    this.pool = pool;
    this.ownsPool = ownsPool;
    this.logger = options.logger;
    this.config = typeof options.database === "string" ? options.database : pool.options;
    // An idle pooled client that errors (server restart) must not crash the process.
    if (ownsPool) pool.on("error", (err) => this.logger?.warn("idle client error", { err }));
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const out = await fn(new PgQueryable(client, this.names));
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * LISTENs on a connection of its own (not a pooled one). When that connection drops
   * (server restart, network), it reconnects with backoff until unsubscribed; polling
   * covers the gap. Resolves once the first LISTEN is in place.
   */
  async listen(
    channel: string,
    onPayload: (payload: string) => void,
  ): Promise<() => Promise<void>> {
    let stopped = false;
    let current: pg.Client | null = null;
    const connect = async (): Promise<void> => {
      const client =
        typeof this.config === "string"
          ? new pg.Client({ connectionString: this.config })
          : new pg.Client(this.config);
      client.on("notification", (msg) => {
        if (msg.channel === channel) onPayload(msg.payload ?? "");
      });
      const lost = (err?: unknown) => {
        if (stopped || current !== client) return;
        this.logger?.warn("LISTEN connection lost; reconnecting", { err });
        current = null;
        this.listeners.delete(client);
        client.end().catch(() => undefined);
        void reconnect();
      };
      client.on("error", lost);
      client.on("end", () => lost());
      try {
        await client.connect();
        await client.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
      } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
      }
      if (stopped) return void (await client.end().catch(() => undefined));
      current = client;
      this.listeners.add(client);
    };
    const reconnect = async (): Promise<void> => {
      for (let delay = 250; !stopped; delay = Math.min(delay * 2, 10_000)) {
        await new Promise((r) => setTimeout(r, delay).unref());
        if (stopped) return;
        try {
          return await connect();
        } catch {
          // keep trying; polling covers the gap
        }
      }
    };
    await connect();
    return async () => {
      stopped = true;
      const client = current;
      current = null;
      if (client) {
        this.listeners.delete(client);
        await client.end().catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners].map((c) => c.end().catch(() => undefined)));
    this.listeners.clear();
    if (this.ownsPool) await this.pool.end();
  }
}
