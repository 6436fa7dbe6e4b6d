import { afterEach, describe, expect, it } from "vitest";
import { createDurable, migrate, workflow } from "../../src/index.js";
import { loadMigrations } from "../../src/store/migrate.js";
import { backends, dropSchema, sql, uniquePrefix } from "../helpers/backends.js";

/** Every migration version, in order, read from the migration files. */
const ALL = loadMigrations().map((m) => m.version);

describe.each(backends)("migrations on $name", (backend) => {
  const prefixes: string[] = [];
  const fresh = () => {
    const p = uniquePrefix("m");
    prefixes.push(p);
    return p;
  };
  afterEach(async () => {
    for (const p of prefixes.splice(0)) await dropSchema(backend, p);
  });

  it("up, status and down", async () => {
    const db = await backend.database();
    const prefix = fresh();
    expect(ALL[0]).toBe("0001_core");
    expect(await migrate.status(db, { prefix })).toEqual({ applied: [], pending: ALL });
    expect(await migrate.up(db, { prefix })).toEqual(ALL);
    expect(await migrate.up(db, { prefix })).toEqual([]);
    expect(await migrate.status(db, { prefix })).toEqual({ applied: ALL, pending: [] });
    expect(await migrate.down(db, { prefix })).toEqual([...ALL].reverse());
    const rows = await sql(
      backend,
      `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1`,
      [prefix],
    );
    expect(rows[0]).toEqual({ n: 0 });
  });

  it("many engines starting at once migrate once, under the lock", async () => {
    const db = await backend.database();
    const prefix = fresh();
    const engines = await Promise.all(
      Array.from({ length: 4 }, () => createDurable({ database: db, prefix, queueEnabled: false })),
    );
    expect(await migrate.status(db, { prefix })).toEqual({ applied: ALL, pending: [] });
    await Promise.all(engines.map((d) => d.close()));
  });

  it("migrate: false against a schema that is behind is a ConfigError naming the versions", async () => {
    const db = await backend.database();
    const prefix = fresh();
    await expect(createDurable({ database: db, prefix, migrate: false })).rejects.toMatchObject({
      name: "ConfigError",
      message: expect.stringContaining("0001_core"),
    });
  });

  it("an unknown target version is a ValidationError", async () => {
    const db = await backend.database();
    await expect(migrate.up(db, { prefix: fresh(), to: "9999" })).rejects.toMatchObject({
      name: "ValidationError",
    });
    await expect(migrate.up(db, { prefix: "bad-prefix" })).rejects.toMatchObject({
      name: "ConfigError",
    });
  });

  it("two prefixes share nothing", async () => {
    const db = await backend.database();
    const wf = workflow("iso").step("s", () => 1);
    const a = await createDurable({
      database: db,
      prefix: fresh(),
      workflows: [wf],
      queueEnabled: false,
    });
    const b = await createDurable({
      database: db,
      prefix: fresh(),
      workflows: [wf],
      queueEnabled: false,
    });
    const id = await a.start(wf, {});
    expect(await b.getExecution(id)).toBeNull();
    expect(await b.countExecutions()).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });
});
