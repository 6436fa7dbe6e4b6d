/**
 * Command-line flags and environment variables of the benchmark.
 * @module
 */
import { parseArgs } from "node:util";

export type BackendName = "postgres" | "pglite";
export type ScenarioName = "throughput" | "overlap" | "latency" | "ten-step";

export const ALL_SCENARIOS: ScenarioName[] = ["throughput", "overlap", "latency", "ten-step"];

/** Everything a run is parameterized by. */
export interface BenchOptions {
  backends: BackendName[];
  databaseUrl: string;
  scenarios: ScenarioName[];
  /** Executions of the 3-step throughput runs (bulk and overlapped), by backend. */
  executions: Record<BackendName, number>;
  /** Executions of the 10-step run. */
  tenStepExecutions: number;
  /** Sequential starts measured for latency. */
  latencySamples: number;
  /** Unmeasured starts before the latency samples. */
  warmup: number;
  /** Queue concurrency of the worker engine. */
  concurrency: number;
  /** Starts in flight at once. */
  startParallelism: number;
  /** Size of each engine's pg.Pool (PostgreSQL only). */
  poolSize: number;
  /** Experiment: turn the engines' parameterized queries into named prepared statements. */
  prepare: boolean;
  /** Experiment: send the engines' NOTIFYs after their writes, in async-commit statements. */
  asyncNotify: boolean;
  /** Server settings for the engines' sessions, e.g. "-c synchronous_commit=off" (experiments). */
  pgOptions: string | undefined;
  /** Engine `captureLogs` option: true = the default capture, false = off. */
  captureLogs: boolean;
  /** Print each query kind's count and time per scenario. */
  verbose: boolean;
  /** Print the results as JSON as well. */
  json: boolean;
  /** Give up on a scenario after this many seconds without progress. */
  stallSeconds: number;
  quick: boolean;
}

const HELP = `Usage: npm run bench -- [flags]

  --backend <postgres|pglite|both>  backends to measure (env BENCH_BACKEND, default both)
  --database-url <url>              PostgreSQL (env DATABASE_URL,
                                    default postgres://postgres@127.0.0.1:5432/test)
  --only <list>                     scenarios, comma separated: ${ALL_SCENARIOS.join(",")}
  --quick                           small sizes for a fast check (env BENCH_QUICK=1)
  --executions <n>                  3-step executions per throughput run, both backends
                                    (env BENCH_EXECUTIONS; default 10000 on PostgreSQL and 3000
                                    on PGlite, whose ~250 exec/s would take 40 s a run;
                                    quick: 2000 and 1000)
  --ten-step <n>                    10-step executions (default 1000, quick 200)
  --latency <n>                     latency samples (default 200, quick 50)
  --warmup <n>                      unmeasured starts before latency samples (default 20)
  --concurrency <n>                 queue concurrency of the worker (default 50)
  --start-parallelism <n>           starts in flight at once (default 50)
  --pool <n>                        pg.Pool size of each engine (default 20)
  --pg-options=<opts>               session settings for the engines' connections, for
                                    experiments, e.g. --pg-options="-c synchronous_commit=off"
  --prepare                         experiment (PostgreSQL): send the engines' queries as named
                                    prepared statements (wraps pool.query; src is unchanged)
  --async-notify                    experiment (PostgreSQL): move the engines' pg_notify out of
                                    their durable writes into async-commit statements
  --no-capture                      run the engines with captureLogs: false
  --verbose                         per-scenario query breakdown, pool queueing and (PostgreSQL)
                                    what the server sessions wait on
  --json                            also print the results as JSON
  --stall-seconds <n>               give up on a scenario after n s without progress (default 30)
  --help`;

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

/** Parses `process.argv` and the environment. Exits on `--help`. */
export function readOptions(argv: string[] = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: "string" },
      "database-url": { type: "string" },
      only: { type: "string" },
      quick: { type: "boolean" },
      executions: { type: "string" },
      "ten-step": { type: "string" },
      latency: { type: "string" },
      warmup: { type: "string" },
      concurrency: { type: "string" },
      "start-parallelism": { type: "string" },
      pool: { type: "string" },
      "no-capture": { type: "boolean" },
      "pg-options": { type: "string" },
      prepare: { type: "boolean" },
      "async-notify": { type: "boolean" },
      verbose: { type: "boolean" },
      json: { type: "boolean" },
      "stall-seconds": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const env = process.env;
  const quick = values.quick === true || env.BENCH_QUICK === "1";
  const backendArg = values.backend ?? env.BENCH_BACKEND ?? "both";
  const backends: BackendName[] =
    backendArg === "both"
      ? ["postgres", "pglite"]
      : backendArg === "postgres" || backendArg === "pg"
        ? ["postgres"]
        : backendArg === "pglite"
          ? ["pglite"]
          : (() => {
              throw new Error(`--backend must be postgres, pglite or both, not "${backendArg}"`);
            })();
  const scenarios = (values.only ?? env.BENCH_ONLY ?? ALL_SCENARIOS.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean) as ScenarioName[];
  for (const s of scenarios)
    if (!ALL_SCENARIOS.includes(s))
      throw new Error(`unknown scenario "${s}" (known: ${ALL_SCENARIOS.join(", ")})`);
  const opts: BenchOptions = {
    backends,
    databaseUrl:
      values["database-url"] ?? env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    scenarios,
    executions: {
      postgres: int("executions", values.executions ?? env.BENCH_EXECUTIONS, quick ? 2000 : 10_000),
      pglite: int("executions", values.executions ?? env.BENCH_EXECUTIONS, quick ? 1000 : 3000),
    },
    tenStepExecutions: int("ten-step", values["ten-step"], quick ? 200 : 1000),
    latencySamples: int("latency", values.latency, quick ? 50 : 200),
    warmup: int("warmup", values.warmup, 20),
    concurrency: int("concurrency", values.concurrency, 50),
    startParallelism: int("start-parallelism", values["start-parallelism"], 50),
    poolSize: int("pool", values.pool, 20),
    pgOptions: values["pg-options"],
    prepare: values.prepare === true,
    asyncNotify: values["async-notify"] === true,
    captureLogs: values["no-capture"] !== true,
    verbose: values.verbose === true,
    json: values.json === true,
    stallSeconds: int("stall-seconds", values["stall-seconds"], 30),
    quick,
  };
  if (opts.concurrency < 1 || opts.startParallelism < 1 || opts.poolSize < 1)
    throw new Error("--concurrency, --start-parallelism and --pool must be at least 1");
  return opts;
}
