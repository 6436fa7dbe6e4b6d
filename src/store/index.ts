/**
 * The store: the only place with SQL or a database driver.
 * @module
 */
export type { Driver, Queryable } from "./driver.js";
export { openDriver, checkDatabase, DEFAULT_DATA_DIR, type DatabaseOption } from "./open.js";
export { checkPrefix } from "./identifiers.js";
export {
  migrateUp,
  migrateDown,
  migrationStatus,
  loadMigrations,
  type MigrationStatus,
} from "./migrate.js";
export { ExecutionQueries, type ExecutionFilter, type NewExecution } from "./execution-queries.js";
export { WorkerQueries, type ClaimedRow } from "./worker-queries.js";
export { Notice } from "./store-base.js";
export type { ExecutionRow } from "./rows.js";
export { WaitQueries, type WaitRow, type WaitKind } from "./wait-queries.js";
