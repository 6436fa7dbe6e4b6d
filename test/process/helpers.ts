/**
 * Child worker processes for the multi-process tests (PostgreSQL only: PGlite is an
 * in-process database, so no second process can open it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { createDurable, type Durable } from "../../src/index.js";
import { DATABASE_URL, dropSchema, postgres, uniquePrefix } from "../helpers/backends.js";
import { allWorkflows, effectsDdl } from "./fixtures/workflows.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKER = fileURLToPath(new URL("./fixtures/worker.ts", import.meta.url));

/** A running child worker. */
export interface ChildWorker {
  child: ChildProcess;
  pid: number;
  /** Resolves when the engine in the child works (rejects if the child dies first). */
  ready: Promise<void>;
  /** Resolves when the child has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the child wrote on stdout and stderr (for failure messages). */
  output: () => string;
}

const live = new Set<ChildWorker>();

/** Starts `fixtures/worker.ts` in a child process on `prefix`. */
export function spawnWorker(prefix: string, env: Record<string, string> = {}): ChildWorker {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL,
      FIXTURE_PREFIX: prefix,
      FIXTURE_PARENT_PID: String(process.pid),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (/^ready \d+$/m.test(out)) resolve();
    });
    child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    void exited.then(({ code, signal }) =>
      reject(new Error(`worker exited before ready (code ${code}, signal ${signal}):\n${out}`)),
    );
  });
  ready.catch(() => undefined);
  const w: ChildWorker = { child, pid: child.pid ?? -1, ready, exited, output: () => out };
  live.add(w);
  void exited.then(() => live.delete(w));
  return w;
}

/** SIGTERM (graceful close in the child); SIGKILL if it has not exited after `ms`. */
export async function stopWorker(w: ChildWorker, ms = 10_000) {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return w.exited;
  w.child.kill("SIGTERM");
  const timer = setTimeout(() => w.child.kill("SIGKILL"), ms);
  const result = await w.exited;
  clearTimeout(timer);
  return result;
}

/** SIGKILLs every child still running and waits for them to be gone. */
export async function killAllWorkers(): Promise<void> {
  const all = [...live];
  for (const w of all) w.child.kill("SIGKILL");
  await Promise.all(all.map((w) => w.exited));
}

/** Polls `check` until it returns a truthy value, or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T>,
  ms: number,
  every = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/** Runs `fn`; if it throws, adds what the workers printed to the error message. */
export async function explained<T>(workers: ChildWorker[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Error)
      err.message += workers.map((w) => `\n--- worker ${w.pid} output:\n${w.output()}`).join("");
    throw err;
  }
}

/** A test schema with a client-only engine (it creates the schema) and the effects table. */
export interface ProcessSchema {
  db: pg.Pool;
  prefix: string;
  client: Durable;
}

/** Opens a fresh schema for a multi-process test. */
export async function openProcessSchema(label: string, extraDdl = ""): Promise<ProcessSchema> {
  const db = (await postgres.database()) as pg.Pool;
  const prefix = uniquePrefix(label);
  const client = await createDurable({
    database: db,
    prefix,
    workflows: allWorkflows,
    queueEnabled: false,
  });
  await db.query(effectsDdl(prefix) + extraDdl);
  return { db, prefix, client };
}

/** Kills the test's workers, closes its client and drops its schema. */
export async function closeProcessSchema(s: ProcessSchema): Promise<void> {
  await killAllWorkers();
  await s.client.close();
  await dropSchema(postgres, s.prefix);
}
