/**
 * Schema migrations: numbered `.sql` files in `migrations/`, each with a
 * `-- migrate:up` and a `-- migrate:down` section, applied in order inside one
 * transaction under an advisory lock and recorded in `<prefix>.migrations`.
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ValidationError } from "../core/errors.js";
import type { Driver, Queryable } from "./driver.js";
import { quotedSchema } from "./identifiers.js";

/** One migration file. */
export interface Migration {
  /** File name without `.sql`, e.g. `0001_core`. */
  version: string;
  up: string;
  down: string;
}

/** Applied and pending migration versions of a schema. */
export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));

function parse(version: string, text: string): Migration {
  const up = text.indexOf("-- migrate:up");
  const down = text.indexOf("-- migrate:down");
  if (up < 0 || down < up) throw new Error(`migration ${version} lacks -- migrate:up / down`);
  return { version, up: text.slice(up, down), down: text.slice(down) };
}

/** Reads the migration files, in version order. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => parse(f.slice(0, -4), readFileSync(dir + f, "utf8")));
}

async function lock(tx: Queryable, prefix: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`durable.migrate.${prefix}`]);
}

async function schemaExists(db: Queryable, prefix: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [prefix]);
  return rows.length > 0;
}

async function appliedVersions(db: Queryable, prefix: string): Promise<string[]> {
  const { rows } = await db.query<{ exists: boolean }>(
    "SELECT to_regclass($1) IS NOT NULL AS exists",
    [`${quotedSchema(prefix)}.migrations`],
  );
  if (!rows[0]?.exists) return [];
  const res = await db.query<{ version: string }>(
    `SELECT version FROM ${quotedSchema(prefix)}.migrations ORDER BY version`,
  );
  return res.rows.map((r) => r.version);
}

function resolveTarget(all: Migration[], to: string | undefined): number {
  if (to === undefined) return all.length - 1;
  const idx = all.findIndex((m) => m.version === to || m.version.startsWith(`${to}_`));
  if (idx < 0)
    throw new ValidationError(
      `Unknown migration version "${to}"; known: ${all.map((m) => m.version).join(", ")}`,
    );
  return idx;
}

/** Applies pending migrations up to `to` (default: all). Returns the versions applied. */
export async function migrateUp(
  driver: Driver,
  prefix: string,
  to?: string,
  all: Migration[] = loadMigrations(),
): Promise<string[]> {
  const schema = quotedSchema(prefix);
  const last = resolveTarget(all, to);
  return driver.transaction(async (tx) => {
    await lock(tx, prefix);
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS ${schema}.migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const applied = new Set(await appliedVersions(tx, prefix));
    const done: string[] = [];
    for (const m of all.slice(0, last + 1)) {
      if (applied.has(m.version)) continue;
      await tx.exec(`SET LOCAL search_path TO ${schema}`);
      await tx.exec(m.up);
      await tx.query(`INSERT INTO ${schema}.migrations (version) VALUES ($1)`, [m.version]);
      done.push(m.version);
    }
    await tx.exec("SET LOCAL search_path TO DEFAULT");
    return done;
  });
}

/**
 * Rolls back the versions after `to`; with no `to`, all of them, and drops the schema.
 * Returns the versions rolled back.
 */
export async function migrateDown(
  driver: Driver,
  prefix: string,
  to?: string,
  all: Migration[] = loadMigrations(),
): Promise<string[]> {
  const schema = quotedSchema(prefix);
  const keep = to === undefined ? -1 : resolveTarget(all, to);
  return driver.transaction(async (tx) => {
    await lock(tx, prefix);
    if (!(await schemaExists(tx, prefix))) return [];
    const applied = new Set(await appliedVersions(tx, prefix));
    const undone: string[] = [];
    for (const m of all.slice(keep + 1).reverse()) {
      if (!applied.has(m.version)) continue;
      await tx.exec(`SET LOCAL search_path TO ${schema}`);
      await tx.exec(m.down);
      await tx.query(`DELETE FROM ${schema}.migrations WHERE version = $1`, [m.version]);
      undone.push(m.version);
    }
    await tx.exec("SET LOCAL search_path TO DEFAULT");
    if (to === undefined) await tx.exec(`DROP SCHEMA ${schema} CASCADE`);
    return undone;
  });
}

/** Which migrations are applied to the schema and which are pending. */
export async function migrationStatus(
  db: Queryable,
  prefix: string,
  all: Migration[] = loadMigrations(),
): Promise<MigrationStatus> {
  quotedSchema(prefix);
  const applied = (await schemaExists(db, prefix)) ? await appliedVersions(db, prefix) : [];
  const set = new Set(applied);
  return { applied, pending: all.map((m) => m.version).filter((v) => !set.has(v)) };
}
