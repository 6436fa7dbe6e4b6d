/**
 * Opens the driver for the `database` option: a connection string, a `pg.Pool`, a
 * PGlite instance, or nothing (embedded PGlite in `./.durable`).
 * @module
 */
import pg from "pg";
import { ConfigError } from "../core/errors.js";
import type { Logger } from "../core/types.js";
import type { Driver } from "./driver.js";
import { PgDriver } from "./pg-driver.js";
import { isPGlite, PGliteDriver } from "./pglite-driver.js";

/** What the `database` option accepts. */
export type DatabaseOption = string | pg.Pool | object | undefined;

/** Default data directory of the embedded database. */
export const DEFAULT_DATA_DIR = "./.durable";

/** Describes what is wrong with a `database` option, or null. */
export function checkDatabase(database: unknown): string | null {
  if (database === undefined || database === null) return null;
  if (typeof database === "string") {
    if (
      /^postgres(ql)?:\/\//.test(database) ||
      database.startsWith("file:") ||
      database.startsWith("pglite:")
    )
      return null;
    return `database must be a postgres:// connection string, "pglite:<dir>", a pg.Pool or a PGlite instance; got the string ${JSON.stringify(database.slice(0, 60))}`;
  }
  if (database instanceof pg.Pool || isPGlite(database)) return null;
  return "database must be a connection string, a pg.Pool or a PGlite instance";
}

/** Opens a driver; `poolSize` sizes a pool the engine creates itself. */
export async function openDriver(
  database: DatabaseOption,
  options: { poolSize?: number; logger?: Logger; preparedStatements?: boolean } = {},
): Promise<Driver> {
  const problem = checkDatabase(database);
  if (problem) throw new ConfigError(problem);
  if (database === undefined || database === null) return PGliteDriver.open(DEFAULT_DATA_DIR);
  if (typeof database === "string") {
    if (database.startsWith("pglite:"))
      return PGliteDriver.open(database.slice(7) || DEFAULT_DATA_DIR);
    if (database.startsWith("file:")) return PGliteDriver.open(database.slice(5));
    return new PgDriver({ database, ...options });
  }
  if (database instanceof pg.Pool) return new PgDriver({ database, ...options });
  return PGliteDriver.wrap(database as Parameters<typeof PGliteDriver.wrap>[0]);
}
