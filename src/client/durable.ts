/**
 * `createDurable()` and the engine object: the client API over the store,
 * plus the worker that runs executions.
 * @module
 */
import { ConfigError } from "../core/errors.js";
import { migrateUp, migrationStatus, openDriver } from "../store/index.js";
import { DurableSchedules } from "./schedules.js";
import { resolveOptions, type DurableOptions } from "./options.js";

/**
 * A Durable engine: a client of the database and, unless `queueEnabled` is false, a
 * worker running the registered workflows. Create it with {@link createDurable}.
 */
export class Durable extends DurableSchedules {}

/**
 * Creates and starts an engine: validates the options, opens the database, applies
 * migrations (unless `migrate: false`), and starts working on the configured queues.
 *
 * @example
 * const durable = await createDurable({ database: process.env.DATABASE_URL, workflows: [order] });
 * const id = await durable.start(order, { id: "o-1" });
 * console.log(await durable.result(id));
 * await durable.close();
 */
export async function createDurable(options?: DurableOptions): Promise<Durable> {
  const resolved = resolveOptions(options);
  const driver = await openDriver(resolved.database, {
    poolSize: resolved.poolSize,
    preparedStatements: resolved.preparedStatements,
    logger: resolved.logger,
  });
  try {
    if (resolved.migrate) await migrateUp(driver, resolved.prefix);
    else {
      const status = await migrationStatus(driver, resolved.prefix);
      if (status.pending.length)
        throw new ConfigError(
          `schema "${resolved.prefix}" is behind: pending migrations ${status.pending.join(", ")} (run migrate.up or start with migrate: true)`,
        );
    }
    const durable = new Durable(resolved, driver);
    await durable.open();
    return durable;
  } catch (err) {
    await driver.close().catch(() => undefined);
    throw err;
  }
}
