/**
 * Scale: an event storm. 1,000 executions each wait for one event ("go") while 1,000
 * `sendEvent` calls race the waits: every event is sent right after its execution was
 * started, after a random delay (none for half of them, up to 1.5 s for the rest), so
 * some arrive before the execution waits (kept in the inbox), some while the step is
 * about to suspend (the `signal_seq` race) and some after it suspended.
 *
 * Every execution must complete with exactly its own payload, and the `events` and
 * `waits` tables must show each event consumed once, by the one wait of its execution,
 * with nothing left pending.
 */
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { workflow } from "../../src/index.js";
import { DATABASE_URL, embedded, engines, sql, type Backend } from "../helpers/backends.js";

const EXECUTIONS = 1000;
const PARALLEL_STARTS = 20;
const MAX_DELAY = 1500;

const listener = workflow<{ i: number }>("storm_listener").step("listen", async (_d, ctx) =>
  ctx.waitForEvent<{ id: string }>("go"),
);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// PostgreSQL through a small pool of its own without synchronous commit (commits wait on
// no disk flush; visibility and locking are unchanged), to keep the file fast on a busy host.
let pool: pg.Pool | undefined;
const postgres: Backend = {
  name: "postgres",
  database: async () =>
    (pool ??= new pg.Pool({
      connectionString: DATABASE_URL,
      max: 20,
      options: "-c synchronous_commit=off",
    })),
};
afterAll(async () => {
  await pool?.end();
});

describe.each([postgres, embedded])("event storm on $name", (backend: Backend) => {
  const e = engines(backend);
  afterEach(() => e.cleanup());

  it(`${EXECUTIONS} waits and ${EXECUTIONS} racing sendEvent calls: each event delivered exactly once`, async () => {
    const t0 = Date.now();
    const prefix = `storm_${backend.name}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const durable = await e.open({
      prefix,
      workflows: [listener],
      queues: { default: { concurrency: 50, pollInterval: 200 } },
    });
    const q = <R>(text: string, params: unknown[] = []) => sql<R>(backend, text, params);

    const ids: string[] = [];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < EXECUTIONS; i += PARALLEL_STARTS) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(PARALLEL_STARTS, EXECUTIONS - i) }, (_, k) =>
          durable.start(listener, { i: i + k }),
        ),
      );
      for (const id of batch) {
        ids.push(id);
        const delay = Math.random() < 0.5 ? 0 : Math.floor(Math.random() * MAX_DELAY);
        sends.push(
          (delay ? sleep(delay) : Promise.resolve()).then(() =>
            durable.sendEvent(id, "go", { id }),
          ),
        );
      }
    }
    const started = Date.now();
    await Promise.all(sends); // none rejected: no execution ended before its event
    const sent = Date.now();

    await expect
      .poll(
        async () =>
          (
            await q<{ n: number }>(
              `SELECT count(*)::int AS n FROM "${prefix}".executions WHERE status = 'completed'`,
            )
          )[0]!.n,
        { timeout: 60_000, interval: 250 },
      )
      .toBe(EXECUTIONS);
    const done = Date.now();

    // Each execution completed with exactly its own payload.
    const execs = await durable.listExecutions({ workflow: listener.name, limit: EXECUTIONS });
    expect(execs).toHaveLength(EXECUTIONS);
    const wrong = execs.filter(
      (x) => x.status !== "completed" || JSON.stringify(x.output) !== JSON.stringify({ id: x.id }),
    );
    expect(wrong.map((x) => [x.id, x.status, x.output])).toEqual([]);
    expect(new Set(execs.map((x) => x.id))).toEqual(new Set(ids));

    // The inbox: one event per execution, each consumed, none pending.
    const [events] = await q<Record<string, number>>(
      `SELECT count(*)::int AS total, count(DISTINCT execution_id)::int AS executions,
         count(*) FILTER (WHERE status = 'consumed' AND consumed_at IS NOT NULL)::int AS consumed,
         count(*) FILTER (WHERE status = 'pending')::int AS pending,
         count(*) FILTER (WHERE payload->>'id' = execution_id)::int AS own_payload
       FROM "${prefix}".events`,
    );
    expect(events).toEqual({
      total: EXECUTIONS,
      executions: EXECUTIONS,
      consumed: EXECUTIONS,
      pending: 0,
      own_payload: EXECUTIONS,
    });

    // The waits: one per execution, completed with its own event, nothing else.
    const [waits] = await q<Record<string, number>>(
      `SELECT count(*)::int AS total, count(DISTINCT execution_id)::int AS executions,
         count(*) FILTER (WHERE status = 'completed' AND kind = 'event' AND name = 'go'
           AND seq = 1 AND result->>'event' = 'go'
           AND result->'payload'->>'id' = execution_id)::int AS answered
       FROM "${prefix}".waits`,
    );
    expect(waits).toEqual({ total: EXECUTIONS, executions: EXECUTIONS, answered: EXECUTIONS });
    expect(await durable.listPendingEvents({ status: "pending", limit: 250 })).toEqual([]);

    // The step ran to completion once per execution (a suspension is not a completion).
    const [steps] = await q<Record<string, number>>(
      `SELECT count(*) FILTER (WHERE status = 'completed')::int AS completed,
         count(DISTINCT execution_id) FILTER (WHERE status = 'completed')::int AS executions,
         count(*) FILTER (WHERE status NOT IN ('completed', 'waiting'))::int AS other
       FROM "${prefix}".steps`,
    );
    expect(steps).toEqual({ completed: EXECUTIONS, executions: EXECUTIONS, other: 0 });

    // How the race went: events stored before the wait opened (taken from the inbox) or
    // after (delivered to a waiting or about-to-suspend execution).
    const [race] = await q<Record<string, number>>(
      `SELECT count(*) FILTER (WHERE ev.created_at < w.created_at)::int AS before_wait,
         count(*) FILTER (WHERE ev.created_at = w.created_at)::int AS same_ms,
         count(*) FILTER (WHERE ev.created_at > w.created_at)::int AS after_wait,
         count(*) FILTER (WHERE ev.created_at > w.created_at AND s.waiting)::int AS after_suspend
       FROM "${prefix}".events ev
       JOIN "${prefix}".waits w ON w.execution_id = ev.execution_id
       JOIN LATERAL (SELECT bool_or(status = 'waiting') AS waiting FROM "${prefix}".steps
         WHERE execution_id = ev.execution_id) s ON true`,
    );
    console.log(
      `[event-storm] ${JSON.stringify({
        backend: backend.name,
        race,
        seconds: {
          started: (started - t0) / 1000,
          allSent: (sent - t0) / 1000,
          allCompleted: (done - t0) / 1000,
          total: (Date.now() - t0) / 1000,
        },
      })}`,
    );
    // Both sides of the race happened (half the events are sent with no delay, the others
    // up to 1.5 s later, far beyond the time an execution takes to reach its wait).
    expect(race!.before_wait).toBeGreaterThan(0);
    expect(race!.after_wait).toBeGreaterThan(0);
  }, 120_000);
});
