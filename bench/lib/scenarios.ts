/**
 * The measurements: bulk throughput (start first, then run), overlapped throughput
 * (start while the worker runs), start-to-first-step latency, and a 10-step workflow.
 * @module
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { workflow, type Durable } from "../../src/index.js";
import type { BenchBackend } from "./backends.js";
import type { BenchOptions } from "./options.js";
import { cpuMark, cpuSince, totalQueries, type CpuMark, type QueryStat } from "./probes.js";

/** One row of the rate table. */
export interface RateResult {
  backend: string;
  measurement: string;
  n: number;
  seconds: number;
  startsPerSec?: number;
  execPerSec?: number;
  stepsPerSec?: number;
  /** Queries per execution (or per start), heartbeats and engine open/close left out. */
  queriesPer?: number;
  cpu: {
    /** Percent of one core used by this process (PGlite: including the database). */
    node: number;
    /** Percent of one core used by the server processes serving this run (PostgreSQL). */
    pg: number | null;
    /** CPU ms per execution (or per start). */
    nodeMsPer: number;
    pgMsPer: number | null;
  };
  /** Mean connections waited for in the pools while it ran (PostgreSQL). */
  poolWaiting?: number;
  /**
   * Mean number of this run's server sessions in each state per sample (`--verbose`,
   * PostgreSQL): "running" (on CPU or runnable), "idle in transaction", or a wait event
   * such as "Lock:object" (the NOTIFY queue lock) or "IO:WALSync".
   */
  waits?: Record<string, number>;
  queries: Record<string, QueryStat>;
}

/** One row of the latency table (ms). */
export interface LatencyResult {
  backend: string;
  measurement: string;
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface ScenarioOutput {
  rates: RateResult[];
  latencies: LatencyResult[];
}

/** A no-op pipeline of `steps` steps; each returns undefined, passing its input on. */
function noopWorkflow(name: string, steps: number) {
  let w: any = workflow<{ i: number }>(name);
  for (let s = 1; s <= steps; s++) w = w.step(`s${s}`, () => undefined);
  return w as ReturnType<typeof workflow<{ i: number }>>;
}

const threeStep = noopWorkflow("bench_three_step", 3);
const tenStep = noopWorkflow("bench_ten_step", 10);

/** When the first step of each latency execution began (performance.now()). */
const firstStepAt = new Map<string, number>();
const latencyFlow = workflow<{ i: number }>("bench_latency")
  .step("s1", (_d, ctx) => {
    firstStepAt.set(ctx.workflowId, performance.now());
  })
  .step("s2", () => undefined)
  .step("s3", () => undefined);

const ALL_WORKFLOWS = [threeStep, tenStep, latencyFlow];

/** Runs `fn(0..n-1)` with at most `parallel` calls in flight. */
async function bounded(n: number, parallel: number, fn: (i: number) => Promise<unknown>) {
  let next = 0;
  const lane = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
}

/**
 * Counts the executions an engine ends (lifecycle events of its own worker) and
 * notes when each ended.
 */
class Completions {
  completed = 0;
  failed = 0;
  readonly endedAt = new Map<string, number>();
  private readonly waiters = new Map<string, () => void>();
  private onChange: (() => void) | undefined;

  constructor(durable: Durable) {
    durable.on("workflow.completed", (e) => this.ended(e.executionId, true));
    durable.on("workflow.failed", (e) => {
      console.error(`execution ${e.executionId} failed:`, e.error);
      this.ended(e.executionId, false);
    });
  }

  private ended(id: string, ok: boolean): void {
    if (ok) this.completed++;
    else this.failed++;
    this.endedAt.set(id, performance.now());
    this.waiters.get(id)?.();
    this.waiters.delete(id);
    this.onChange?.();
  }

  /** Resolves when `n` executions have ended; rejects after `stallSeconds` without progress. */
  all(n: number, stallSeconds: number): Promise<number> {
    return new Promise((resolve, reject) => {
      let last = -1;
      let lastChange = performance.now();
      const check = () => {
        const done = this.completed + this.failed;
        if (done >= n) {
          clearInterval(timer);
          this.onChange = undefined;
          resolve(performance.now());
        }
      };
      const timer = setInterval(() => {
        const done = this.completed + this.failed;
        if (done !== last) {
          last = done;
          lastChange = performance.now();
        } else if (performance.now() - lastChange > stallSeconds * 1000) {
          clearInterval(timer);
          this.onChange = undefined;
          reject(
            new Error(`stalled: ${done} of ${n} executions ended, none for ${stallSeconds} s`),
          );
        }
      }, 50);
      this.onChange = check;
      check();
    });
  }

  /** Resolves with the time execution `id` ended. */
  one(id: string, timeoutMs: number): Promise<number> {
    const at = this.endedAt.get(id);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`execution ${id} did not end within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(id, () => {
        clearTimeout(timer);
        resolve(this.endedAt.get(id)!);
      });
    });
  }
}

/**
 * Collects CPU, query counts, pool queueing and (with `--verbose`, PostgreSQL) the
 * server sessions' wait events over one timed phase.
 */
class Phase {
  private cpu!: CpuMark;
  private readonly t0 = performance.now();
  private poolSamples = 0;
  private poolWaiting = 0;
  private readonly waits = new Map<string, number>();
  private waitSamples = 0;
  private sampling = false;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly backend: BenchBackend,
    private readonly verbose: boolean,
  ) {}

  static async begin(backend: BenchBackend, o: BenchOptions): Promise<Phase> {
    const p = new Phase(backend, o.verbose);
    const pg = await backend.serverCpu();
    backend.counter.reset();
    p.cpu = cpuMark(pg);
    p.timer = setInterval(p.sample, 50);
    return p;
  }

  private sample = (): void => {
    const s = this.backend.poolStats();
    if (s) {
      this.poolSamples++;
      this.poolWaiting += s.waiting;
    }
    if (!this.verbose || this.sampling || this.backend.name !== "postgres") return;
    this.sampling = true;
    this.backend
      .waitEvents()
      .then((events) => {
        this.waitSamples++;
        for (const e of events) this.waits.set(e, (this.waits.get(e) ?? 0) + 1);
      })
      .catch(() => undefined)
      .finally(() => (this.sampling = false));
  };

  async end(
    fields: Omit<RateResult, "backend" | "cpu" | "queries" | "seconds" | "queriesPer">,
    per: number,
    seconds?: number,
  ): Promise<RateResult> {
    clearInterval(this.timer);
    const cpu = cpuSince(this.cpu, this.cpu.pg ? await this.backend.serverCpu() : null);
    const stats = this.backend.counter.snapshot();
    const counted = totalQueries(stats, ["heartbeat", "listen", "transaction", "count"]);
    return {
      backend: this.backend.name,
      ...fields,
      seconds: seconds ?? (performance.now() - this.t0) / 1000,
      queriesPer: per > 0 ? counted / per : undefined,
      cpu: {
        node: cpu.node,
        pg: cpu.pg,
        nodeMsPer: cpu.nodeMs / per,
        pgMsPer: cpu.pgMs === null ? null : cpu.pgMs / per,
      },
      poolWaiting: this.poolSamples ? this.poolWaiting / this.poolSamples : undefined,
      waits: this.waitSamples
        ? Object.fromEntries([...this.waits].map(([k, v]) => [k, v / this.waitSamples]))
        : undefined,
      queries: Object.fromEntries(stats),
    };
  }
}

/** Checks that the database agrees with the events: every execution completed. */
async function verifyCompleted(durable: Durable, n: number, what: string): Promise<void> {
  const completed = await durable.countExecutions({ status: "completed" });
  if (completed !== n)
    throw new Error(`${what}: expected ${n} completed executions, found ${completed}`);
}

function workerOptions(prefix: string, o: BenchOptions) {
  return {
    prefix,
    name: "bench-worker",
    workflows: ALL_WORKFLOWS,
    queues: { default: { concurrency: o.concurrency, pollInterval: 1000 } },
  };
}

function clientOptions(prefix: string) {
  return { prefix, name: "bench-client", workflows: ALL_WORKFLOWS, queueEnabled: false };
}

/**
 * Bulk: a client-only engine stores `n` executions (start rate), then a worker engine
 * opens and runs them all (execution and step rate).
 */
async function bulk(
  backend: BenchBackend,
  o: BenchOptions,
  flow: typeof threeStep,
  steps: number,
  n: number,
  label: string,
): Promise<RateResult[]> {
  const prefix = backend.newPrefix(label);
  const client = await backend.engine(clientOptions(prefix));
  let worker: Durable | undefined;
  try {
    const starting = await Phase.begin(backend, o);
    await bounded(n, o.startParallelism, (i) => client.start(flow, { i }));
    const starts = await starting.end(
      {
        measurement: `start ${steps}-step, client-only engine, ${o.startParallelism} in flight`,
        n,
        startsPerSec: 0,
      },
      n,
    );
    starts.startsPerSec = n / starts.seconds;
    // Like a separate API process that is done starting: frees its connections.
    await client.close();
    await backend.endPools();

    const running = await Phase.begin(backend, o);
    const t0 = performance.now();
    worker = await backend.engine(workerOptions(prefix, o));
    const done = new Completions(worker);
    const t1 = await done.all(n, o.stallSeconds);
    const seconds = (t1 - t0) / 1000;
    const run = await running.end(
      {
        measurement: `run ${steps}-step (stored first), concurrency ${o.concurrency}`,
        n,
        execPerSec: n / seconds,
        stepsPerSec: (n * steps) / seconds,
      },
      n,
      seconds,
    );
    await verifyCompleted(worker, n, label);
    return [starts, run];
  } finally {
    await worker?.close();
    await client.close(); // idempotent
    await backend.endPools();
    await backend.dropSchemas();
  }
}

/** Overlapped: the worker runs while a client-only engine starts `n` executions. */
async function overlap(backend: BenchBackend, o: BenchOptions): Promise<RateResult[]> {
  const n = o.executions[backend.name];
  const prefix = backend.newPrefix("overlap");
  const worker = await backend.engine(workerOptions(prefix, o));
  const client = await backend.engine(clientOptions(prefix));
  try {
    const done = new Completions(worker);
    const phase = await Phase.begin(backend, o);
    const t0 = performance.now();
    let startsEnded = 0;
    const starting = bounded(n, o.startParallelism, (i) => client.start(threeStep, { i })).then(
      () => (startsEnded = performance.now()),
    );
    const t1 = await done.all(n, o.stallSeconds);
    await starting;
    const seconds = (t1 - t0) / 1000;
    const row = await phase.end(
      {
        measurement: `start + run 3-step overlapped, concurrency ${o.concurrency}`,
        n,
        startsPerSec: n / ((startsEnded - t0) / 1000),
        execPerSec: n / seconds,
        stepsPerSec: (n * 3) / seconds,
      },
      n,
      seconds,
    );
    await verifyCompleted(worker, n, "overlap");
    return [row];
  } finally {
    await client.close();
    await worker.close();
    await backend.endPools();
    await backend.dropSchemas();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

function summarize(backend: string, measurement: string, samples: number[]): LatencyResult {
  const s = [...samples].sort((a, b) => a - b);
  return {
    backend,
    measurement,
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? NaN,
    mean: s.reduce((a, b) => a + b, 0) / (s.length || 1),
  };
}

/**
 * Latency on an idle engine: sequential starts, each waiting for its execution to
 * complete before the next. The worker engine itself starts them (one process); the
 * wake-up still travels through the database (NOTIFY).
 */
async function latency(
  backend: BenchBackend,
  o: BenchOptions,
): Promise<{ latencies: LatencyResult[]; rate: RateResult }> {
  const prefix = backend.newPrefix("latency");
  const durable = await backend.engine(workerOptions(prefix, o));
  try {
    const done = new Completions(durable);
    const sampleOnce = async (i: number) => {
      const t0 = performance.now();
      const id = await durable.start(latencyFlow, { i });
      const t1 = performance.now();
      const end = await done.one(id, o.stallSeconds * 1000);
      const first = firstStepAt.get(id);
      firstStepAt.delete(id);
      if (first === undefined) throw new Error(`first step of ${id} left no mark`);
      return { toFirstStep: first - t0, startCall: t1 - t0, toCompleted: end - t0 };
    };
    for (let i = 0; i < o.warmup; i++) await sampleOnce(-1 - i);
    await sleep(50);
    const phase = await Phase.begin(backend, o);
    const toFirst: number[] = [];
    const call: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < o.latencySamples; i++) {
      const s = await sampleOnce(i);
      toFirst.push(s.toFirstStep);
      call.push(s.startCall);
      total.push(s.toCompleted);
    }
    const rate = await phase.end(
      {
        measurement: `sequential 3-step (latency run), 1 at a time`,
        n: o.latencySamples,
        execPerSec: 0,
      },
      o.latencySamples,
    );
    rate.execPerSec = o.latencySamples / rate.seconds;
    rate.stepsPerSec = rate.execPerSec * 3;
    return {
      latencies: [
        summarize(backend.name, "start() call → first step begins", toFirst),
        summarize(backend.name, "start() call → start() resolves (insert)", call),
        summarize(backend.name, "start() call → completed event (3 steps)", total),
      ],
      rate,
    };
  } finally {
    await durable.close();
    await backend.endPools();
    await backend.dropSchemas();
  }
}

/** Runs the selected scenarios on one backend. */
export async function runScenarios(
  backend: BenchBackend,
  o: BenchOptions,
): Promise<ScenarioOutput> {
  const out: ScenarioOutput = { rates: [], latencies: [] };
  const log = (what: string) => console.error(`[bench] ${backend.name}: ${what}`);
  for (const scenario of o.scenarios) {
    const t = performance.now();
    if (scenario === "throughput") {
      const n = o.executions[backend.name];
      log(`throughput, ${n} × 3-step`);
      out.rates.push(...(await bulk(backend, o, threeStep, 3, n, "three")));
    } else if (scenario === "overlap") {
      log(`overlapped start + run, ${o.executions[backend.name]} × 3-step`);
      out.rates.push(...(await overlap(backend, o)));
    } else if (scenario === "latency") {
      log(`latency, ${o.warmup} warm-up + ${o.latencySamples} sequential starts`);
      const r = await latency(backend, o);
      out.latencies.push(...r.latencies);
      out.rates.push(r.rate);
    } else if (scenario === "ten-step") {
      log(`throughput, ${o.tenStepExecutions} × 10-step`);
      out.rates.push(...(await bulk(backend, o, tenStep, 10, o.tenStepExecutions, "ten")));
    }
    log(`${scenario} took ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return out;
}
