/**
 * Test backends: every integration test runs on the real PostgreSQL server
 * (`DATABASE_URL`, or an embedded PostgreSQL 18 started for the run) and on embedded PGlite. One PGlite instance
 * is shared per test file; each test gets a schema (prefix) of its own and drops it.
 */
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll } from "vitest";
import { createDurable, type Durable, type DurableOptions } from "../../src/index.js";

/**
 * The test PostgreSQL: `DATABASE_URL`, or the embedded server that the global setup
 * (test/setup/postgres.ts) starts when it is not set.
 */
export const DATABASE_URL = databaseUrl();

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error(
      "DATABASE_URL is not set: run the tests with vitest (its global setup sets it)",
    );
  return url;
}

/** A database the tests can open engines on. */
export interface Backend {
  name: "postgres" | "pglite";
  /** The `database` option to pass to engines (shared instance / pool). */
  database(): Promise<pg.Pool | PGlite>;
}

let pglite: Promise<PGlite> | undefined;
let pool: pg.Pool | undefined;

afterAll(async () => {
  if (pglite) await (await pglite).close();
  if (pool) await pool.end();
});

export const postgres: Backend = {
  name: "postgres",
  database: async () => (pool ??= new pg.Pool({ connectionString: DATABASE_URL, max: 20 })),
};

export const embedded: Backend = {
  name: "pglite",
  database: () => (pglite ??= PGlite.create()),
};

export const backends: Backend[] = [postgres, embedded];

/** A fresh, unique schema name for one test. */
export function uniquePrefix(label = "t"): string {
  return `${label}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`.toLowerCase();
}

/** Runs one SQL statement on a backend's shared database and returns its rows. */
export async function sql<Row = Record<string, unknown>>(
  backend: Backend,
  text: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const db = await backend.database();
  const res = db instanceof pg.Pool ? await db.query(text, params) : await db.query(text, params);
  return res.rows as Row[];
}

/** Drops a test schema. */
export async function dropSchema(backend: Backend, prefix: string): Promise<void> {
  await sql(backend, `DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
}

/**
 * Opens an engine on `backend` in a fresh schema; `cleanup()` closes every engine it
 * opened and drops the schema.
 */
export function engines(backend: Backend) {
  const opened: Durable[] = [];
  const prefixes = new Set<string>();
  return {
    async open(options: Omit<DurableOptions, "database"> = {}): Promise<Durable> {
      const prefix = options.prefix ?? uniquePrefix();
      prefixes.add(prefix);
      const d = await createDurable({
        queues: { default: { concurrency: 10, pollInterval: 200 } },
        ...options,
        prefix,
        database: await backend.database(),
      });
      opened.push(d);
      return d;
    },
    async cleanup(): Promise<void> {
      await Promise.all(opened.splice(0).map((d) => d.close()));
      for (const p of prefixes) await dropSchema(backend, p);
      prefixes.clear();
    },
  };
}
