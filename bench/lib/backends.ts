/**
 * Benchmark backends: PostgreSQL (one pg.Pool per engine, like separate processes)
 * and in-memory PGlite (one instance shared by every engine of the run). Every pool
 * and PGlite instance has its `query` wrapped by the run's {@link QueryCounter}.
 * @module
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { createDurable, type Durable, type DurableOptions } from "../../src/index.js";
import type { BackendName, BenchOptions } from "./options.js";
import { asyncNotify, prepareStatements, processCpuMs, QueryCounter } from "./probes.js";

/** One backend of a run. */
export class BenchBackend {
  readonly counter = new QueryCounter();
  private pglite: PGlite | undefined;
  private admin: pg.Pool | undefined;
  private readonly pools = new Set<pg.Pool>();
  private readonly prefixes = new Set<string>();

  private constructor(
    readonly name: BackendName,
    private readonly options: BenchOptions,
  ) {}

  static async open(name: BackendName, options: BenchOptions): Promise<BenchBackend> {
    const b = new BenchBackend(name, options);
    if (name === "pglite") {
      b.pglite = await PGlite.create();
      b.counter.wrap(b.pglite);
    } else {
      b.admin = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });
      await b.admin.query("SELECT 1");
    }
    return b;
  }

  /** Runs a statement outside any engine (not counted). */
  async query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]> {
    if (this.pglite) return (await this.pglite.query<Row>(sql, params)).rows;
    return (await this.admin!.query(sql, params)).rows as Row[];
  }

  /** A fresh schema name; dropped by {@link dropSchemas} / {@link close}. */
  newPrefix(label: string): string {
    const p = `bench_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
      .replace(/[^a-z0-9_]/g, "_")
      .slice(0, 48);
    this.prefixes.add(p);
    return p;
  }

  /**
   * Opens an engine. On PostgreSQL it gets a pg.Pool of its own (`--pool` connections),
   * ended by {@link endPools}; on PGlite it shares the run's instance.
   */
  async engine(options: Omit<DurableOptions, "database">): Promise<Durable> {
    let database: pg.Pool | PGlite;
    if (this.pglite) database = this.pglite;
    else {
      const pool = new pg.Pool({
        connectionString: this.options.databaseUrl,
        max: this.options.poolSize,
        // Names this run's sessions, so their server processes can be told apart.
        application_name: this.applicationName,
        ...(this.options.pgOptions ? { options: this.options.pgOptions } : {}),
      });
      pool.on("error", () => undefined);
      // Wrapped innermost, the counter sees what goes to the server (experiments included).
      this.counter.wrap(pool);
      if (this.options.prepare) prepareStatements(pool);
      if (this.options.asyncNotify) asyncNotify(pool);
      this.pools.add(pool);
      database = pool;
    }
    return createDurable({
      ...options,
      database,
      captureLogs: this.options.captureLogs ? {} : false,
    });
  }

  /** application_name of this run's engine connections (their LISTEN clients inherit it). */
  readonly applicationName = `durable-bench-${process.pid}`;

  /**
   * CPU ms so far of the server processes that serve this run: its engines' sessions
   * and the server's background processes (WAL writer, checkpointer, autovacuum...),
   * not other clients' sessions. Null on PGlite (it runs inside this process) or when
   * the server's processes cannot be read (remote server).
   */
  async serverCpu(): Promise<Map<number, number> | null> {
    if (!this.admin) return null;
    const rows = await this.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
       WHERE application_name = $1 OR backend_type <> 'client backend'`,
      [this.applicationName],
    );
    const cpu = processCpuMs(rows.map((r) => r.pid));
    return cpu && cpu.size > 0 ? cpu : null;
  }

  /**
   * What this run's active server sessions are doing right now: "running" (no wait
   * event: on CPU or runnable) or `type:event` (e.g. "Lock:object" for the NOTIFY
   * queue lock, "IO:WALSync", "LWLock:WALWrite", "Client:ClientRead").
   */
  async waitEvents(): Promise<string[]> {
    const rows = await this.query<{ w: string }>(
      `SELECT coalesce(wait_event_type || ':' || wait_event, 'running') AS w
       FROM pg_stat_activity
       WHERE application_name = $1 AND state = 'active' AND pid <> pg_backend_pid()`,
      [this.applicationName],
    );
    return rows.map((r) => r.w);
  }

  /** Pool statistics summed over the open pools (PostgreSQL only). */
  poolStats(): { total: number; idle: number; waiting: number } | null {
    if (!this.admin) return null;
    let total = 0;
    let idle = 0;
    let waiting = 0;
    for (const p of this.pools) {
      total += p.totalCount;
      idle += p.idleCount;
      waiting += p.waitingCount;
    }
    return { total, idle, waiting };
  }

  async endPools(): Promise<void> {
    const pools = [...this.pools];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  }

  async dropSchemas(): Promise<void> {
    for (const p of [...this.prefixes]) {
      await this.query(`DROP SCHEMA IF EXISTS "${p}" CASCADE`).catch((err) =>
        console.error(`could not drop schema ${p}:`, err),
      );
      this.prefixes.delete(p);
    }
  }

  async close(): Promise<void> {
    await this.endPools();
    await this.dropSchemas();
    await this.admin?.end().catch(() => undefined);
    await this.pglite?.close().catch(() => undefined);
  }

  /** Facts about the backend worth printing next to the numbers. */
  async describe(): Promise<Record<string, string>> {
    if (this.pglite) {
      return {
        "PGlite version": packageVersion("@electric-sql/pglite"),
        storage: "in memory (PGlite.create())",
      };
    }
    const show = async (name: string) =>
      (await this.query<Record<string, string>>(`SHOW ${name}`))[0]?.[name] ?? "?";
    return {
      "PostgreSQL server": await show("server_version"),
      database: this.options.databaseUrl.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@"),
      "synchronous_commit / fsync": `${await show("synchronous_commit")} / ${await show("fsync")}`,
      shared_buffers: await show("shared_buffers"),
      "pg driver": packageVersion("pg"),
      "pool size per engine": String(this.options.poolSize),
      "engine session options": this.options.pgOptions ?? "(none)",
      "experiment: prepared statements": this.options.prepare ? "on (--prepare)" : "off",
      "experiment: NOTIFY out of writes": this.options.asyncNotify ? "on (--async-notify)" : "off",
      "other sessions on the server": String(
        (
          await this.query<{ n: number }>(
            "SELECT count(*)::int - 1 AS n FROM pg_stat_activity WHERE backend_type = 'client backend'",
          )
        )[0]?.n ?? "?",
      ),
    };
  }
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    let dir = require.resolve(name);
    for (let i = 0; i < 6; i++) {
      dir = dir.slice(0, dir.lastIndexOf("/"));
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === name) return pkg.version ?? "?";
      } catch {
        // keep walking up
      }
    }
  } catch {
    // not resolvable
  }
  return "?";
}
