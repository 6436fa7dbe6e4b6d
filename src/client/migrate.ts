/**
 * `migrate.up / down / status` on any `database` option.
 * @module
 */
import {
  migrateDown,
  migrateUp,
  migrationStatus,
  openDriver,
  type DatabaseOption,
  type MigrationStatus,
} from "../store/index.js";
import { ConfigError } from "../core/errors.js";
import { checkPrefix } from "../store/index.js";

/** Options of the migrate functions. */
export interface MigrateOptions {
  /** Schema (default `"durable"`). */
  prefix?: string;
  /** Target version (`"0001"` or `"0001_core"`). */
  to?: string;
}

async function withDriver<T>(
  database: DatabaseOption,
  prefix: string | undefined,
  fn: (d: Awaited<ReturnType<typeof openDriver>>, p: string) => Promise<T>,
): Promise<T> {
  const p = prefix ?? "durable";
  const problem = checkPrefix(p);
  if (problem) throw new ConfigError(problem);
  const driver = await openDriver(database);
  try {
    return await fn(driver, p);
  } finally {
    await driver.close();
  }
}

/** Schema migrations, for deploy scripts that migrate before engines start. */
export const migrate = {
  /** Applies pending migrations up to `to` (default all). Resolves to the versions applied. */
  up: (database: DatabaseOption, options: MigrateOptions = {}): Promise<string[]> =>
    withDriver(database, options.prefix, (d, p) => migrateUp(d, p, options.to)),
  /** Rolls back versions after `to`; with no `to`, all of them, dropping the schema. */
  down: (database: DatabaseOption, options: MigrateOptions = {}): Promise<string[]> =>
    withDriver(database, options.prefix, (d, p) => migrateDown(d, p, options.to)),
  /** `{ applied, pending }` versions of the schema. */
  status: (
    database: DatabaseOption,
    options: Pick<MigrateOptions, "prefix"> = {},
  ): Promise<MigrationStatus> =>
    withDriver(database, options.prefix, (d, p) => migrationStatus(d, p)),
};
