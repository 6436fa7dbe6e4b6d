/**
 * Durable benchmark: throughput and start latency on PostgreSQL and PGlite.
 *
 *   npm run bench                      # both backends, full sizes (~2-3 min on 2 cores)
 *   npm run bench -- --quick           # smaller sizes
 *   npm run bench -- --backend postgres --only throughput,latency
 *
 * See bench/README.md for what each number means.
 * @module
 */
import { cpus, loadavg, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { BenchBackend } from "./lib/backends.js";
import { asyncNotifyStats } from "./lib/probes.js";
import { readOptions, type BenchOptions } from "./lib/options.js";
import { runScenarios, type LatencyResult, type RateResult } from "./lib/scenarios.js";

const TARGET_EXEC_PER_SEC = 1000;
const TARGET_P50_MS = 5;

function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return "-";
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Prints an aligned table: first column left-aligned, the others right-aligned. */
function table(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  console.log(line(headers));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

function printRates(rates: RateResult[]): void {
  table(
    [
      "backend",
      "measurement",
      "n",
      "seconds",
      "starts/s",
      "exec/s",
      "steps/s",
      "queries/exec",
      "node CPU",
      "pg CPU",
      "CPU ms/exec node+pg",
    ],
    rates.map((r) => [
      r.backend,
      r.measurement,
      fmt(r.n),
      fmt(r.seconds, 2),
      fmt(r.startsPerSec),
      fmt(r.execPerSec),
      fmt(r.stepsPerSec),
      fmt(r.queriesPer, 1),
      `${fmt(r.cpu.node)} %`,
      r.cpu.pg === null ? "-" : `${fmt(r.cpu.pg)} %`,
      r.cpu.pgMsPer === null
        ? fmt(r.cpu.nodeMsPer, 2)
        : `${fmt(r.cpu.nodeMsPer, 2)} + ${fmt(r.cpu.pgMsPer, 2)}`,
    ]),
  );
}

function printLatencies(latencies: LatencyResult[]): void {
  table(
    ["backend", "latency (ms)", "n", "p50", "p90", "p99", "max", "mean"],
    latencies.map((l) => [
      l.backend,
      l.measurement,
      fmt(l.n),
      fmt(l.p50, 2),
      fmt(l.p90, 2),
      fmt(l.p99, 2),
      fmt(l.max, 2),
      fmt(l.mean, 2),
    ]),
  );
}

function printQueryBreakdown(rates: RateResult[]): void {
  for (const r of rates) {
    const per = r.n || 1;
    const parts = Object.entries(r.queries)
      .sort((a, b) => b[1].count - a[1].count)
      .map(
        ([k, s]) =>
          `${k} ${fmt(s.count / per, 2)}/exec (${fmt(s.count ? s.ms / s.count : 0, 2)} ms avg)`,
      );
    const pool =
      r.poolWaiting === undefined ? "" : `; mean queued for a connection ${fmt(r.poolWaiting, 1)}`;
    console.log(`  ${r.backend} · ${r.measurement}: ${parts.join(", ")}${pool}`);
    if (r.waits) {
      const waits = Object.entries(r.waits)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([k, v]) => `${k} ${fmt(v, 1)}`);
      console.log(`      server sessions (mean per sample): ${waits.join(", ")}`);
    }
  }
}

/** Per-step cost and fixed per-execution cost, from the 3-step and 10-step bulk runs. */
function printPerStep(rates: RateResult[]): void {
  for (const backend of new Set(rates.map((r) => r.backend))) {
    const three = rates.find(
      (r) => r.backend === backend && r.measurement.startsWith("run 3-step"),
    );
    const ten = rates.find((r) => r.backend === backend && r.measurement.startsWith("run 10-step"));
    if (!three?.execPerSec || !ten?.execPerSec) continue;
    const t3 = 1000 / three.execPerSec;
    const t10 = 1000 / ten.execPerSec;
    const perStep = (t10 - t3) / 7;
    const fixed = t3 - 3 * perStep;
    console.log(
      `  ${backend}: each step adds ${fmt(perStep * 1000)} µs of engine time; ` +
        `the per-execution remainder (claim, first/last write) is ${fmt(fixed * 1000)} µs ` +
        `(wall time per execution at concurrency, from the two bulk runs)`,
    );
  }
}

function printTargets(rates: RateResult[], latencies: LatencyResult[]): void {
  const run = rates.find((r) => r.backend === "postgres" && r.measurement.startsWith("run 3-step"));
  const lat = latencies.find(
    (l) => l.backend === "postgres" && l.measurement.startsWith("start() call → first step"),
  );
  const verdict = (ok: boolean) => (ok ? "MET" : "MISSED");
  if (run?.execPerSec !== undefined)
    console.log(
      `  PostgreSQL 3-step throughput: ${fmt(run.execPerSec)} exec/s (target >= ${TARGET_EXEC_PER_SEC}): ${verdict(run.execPerSec >= TARGET_EXEC_PER_SEC)}`,
    );
  if (lat)
    console.log(
      `  PostgreSQL start → first step p50: ${fmt(lat.p50, 2)} ms (target < ${TARGET_P50_MS} ms): ${verdict(lat.p50 < TARGET_P50_MS)}`,
    );
}

async function environment(o: BenchOptions, backends: BenchBackend[]): Promise<void> {
  const cpuList = cpus();
  console.log("Environment");
  const rows: [string, string][] = [
    ["node", process.version],
    ["platform", `${process.platform} ${process.arch}`],
    ["CPUs", `${cpuList.length} × ${cpuList[0]?.model.trim() ?? "?"}`],
    ["memory", `${fmt(totalmem() / 2 ** 30, 1)} GiB`],
    [
      "sizes",
      o.backends.map((b) => `${fmt(o.executions[b])} × 3-step on ${b}`).join(", ") +
        `, ${fmt(o.tenStepExecutions)} × 10-step, ` +
        `${o.latencySamples} latency samples (+${o.warmup} warm-up)${o.quick ? " [quick]" : ""}`,
    ],
    [
      "engine",
      `queue concurrency ${o.concurrency}, ${o.startParallelism} starts in flight, ` +
        `captureLogs ${o.captureLogs ? "default (on)" : "off"}`,
    ],
  ];
  const load = loadavg();
  rows.push(["load average", load.map((l) => l.toFixed(2)).join(" / ") + " (1 / 5 / 15 min)"]);
  for (const b of backends)
    for (const [k, v] of Object.entries(await b.describe())) rows.push([`${b.name}: ${k}`, v]);
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
  if ((load[0] ?? 0) > cpuList.length * 0.5)
    console.log(
      `  WARNING: the machine is busy (1-min load ${load[0]?.toFixed(1)} on ${cpuList.length} CPUs): numbers will be low and noisy`,
    );
  console.log();
}

async function main(): Promise<void> {
  const o = readOptions();
  const t0 = performance.now();
  const backends: BenchBackend[] = [];
  let stopping = false;
  const cleanup = async () => {
    for (const b of backends.splice(0)) await b.close();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n[bench] ${signal}: dropping bench schemas`);
      void cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });

  const rates: RateResult[] = [];
  const latencies: LatencyResult[] = [];
  try {
    for (const name of o.backends) backends.push(await BenchBackend.open(name, o));
    await environment(o, backends);
    for (const b of backends) {
      const out = await runScenarios(b, o);
      rates.push(...out.rates);
      latencies.push(...out.latencies);
    }
  } finally {
    await cleanup();
  }

  console.log();
  if (rates.length) {
    console.log("Rates");
    printRates(rates);
    console.log();
  }
  if (latencies.length) {
    console.log(
      "Latency on an idle engine (sequential starts, each waits for its execution to end)",
    );
    printLatencies(latencies);
    console.log();
  }
  if (o.verbose && rates.length) {
    console.log("Queries per execution by kind (mean latency per query)");
    printQueryBreakdown(rates);
    console.log();
  }
  const perStepLines = rates.some((r) => r.measurement.startsWith("run 10-step"));
  if (perStepLines) {
    console.log("Per-step cost");
    printPerStep(rates);
    console.log();
  }
  if (o.backends.includes("postgres")) {
    console.log("Targets (local PostgreSQL, 2 cores)");
    printTargets(rates, latencies);
    console.log();
  }
  if (o.asyncNotify)
    console.log(
      `--async-notify rewrote ${fmt(asyncNotifyStats.rewritten)} statements` +
        (asyncNotifyStats.rewritten
          ? ""
          : " (none: the engine's SQL no longer matches the rewrite)"),
    );
  console.log(`Total ${fmt((performance.now() - t0) / 1000, 1)} s`);
  if (o.json) console.log(JSON.stringify({ options: o, rates, latencies }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
