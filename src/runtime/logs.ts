/**
 * Log capture: `ctx.log.*` and `console.*` calls made while a step attempt runs,
 * including in code it awaits, land in that attempt's logs. The attempt's sink
 * travels with the async context (AsyncLocalStorage), so concurrent steps do not mix.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { format } from "node:util";
import type { StepLogger } from "../core/context.js";
import type { LogEntry, LogLevel } from "../core/types.js";

/** Log capture settings (`captureLogs` engine option). */
export interface CaptureLogsOptions {
  /** Entries kept per attempt (default 1000); further ones are counted, not kept. */
  maxEntries?: number;
  /** Characters kept per message (default 10000). */
  maxLength?: number;
  /** Still print captured console calls (default true). */
  passthrough?: boolean;
}

/** Where one attempt's logs go. */
export class LogSink {
  readonly entries: LogEntry[] = [];
  dropped = 0;
  constructor(
    private readonly options: Required<CaptureLogsOptions> | false,
    private readonly now: () => number,
  ) {}

  get passthrough(): boolean {
    return this.options === false || this.options.passthrough;
  }

  add(level: LogLevel, message: string, data?: unknown): void {
    if (this.options === false) return;
    if (this.entries.length >= this.options.maxEntries) {
      this.dropped++;
      return;
    }
    const text =
      message.length > this.options.maxLength
        ? `${message.slice(0, this.options.maxLength)}… [truncated]`
        : message;
    const entry: LogEntry = { at: new Date(this.now()), level, message: text };
    if (data !== undefined) entry.data = data;
    this.entries.push(entry);
  }

  /** The entries as JSON text for the step record, or null when there are none. */
  toJson(): string | null {
    if (this.entries.length === 0 && this.dropped === 0) return null;
    const list: unknown[] = this.entries.map((e) => ({ ...e, data: jsonSafe(e.data) }));
    if (this.dropped > 0)
      list.push({
        at: new Date(this.now()),
        level: "warn",
        message: `${this.dropped} log entries dropped`,
      });
    return JSON.stringify(list);
  }
}

function jsonSafe(value: unknown): unknown {
  if (value === undefined) return undefined;
  const seen = new WeakSet<object>();
  try {
    return JSON.parse(
      JSON.stringify(value, (_k, v: unknown) => {
        if (typeof v === "bigint") return v.toString();
        if (v instanceof Error) return { name: v.name, message: v.message };
        if (typeof v === "object" && v !== null) {
          if (seen.has(v)) return "[Circular]";
          seen.add(v);
        }
        return v;
      }),
    );
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Resolves the `captureLogs` option. */
export function resolveCapture(
  option: CaptureLogsOptions | false | undefined,
): Required<CaptureLogsOptions> | false {
  if (option === false) return false;
  return {
    maxEntries: option?.maxEntries ?? 1000,
    maxLength: option?.maxLength ?? 10_000,
    passthrough: option?.passthrough ?? true,
  };
}

const storage = new AsyncLocalStorage<LogSink>();
const PATCHED = Symbol.for("durable.consoleCapture");
const CONSOLE_LEVELS: [keyof Console, LogLevel][] = [
  ["log", "info"],
  ["info", "info"],
  ["debug", "debug"],
  ["warn", "warn"],
  ["error", "error"],
];

type ConsoleFn = (...args: unknown[]) => void;
const originals = new Map<keyof Console, ConsoleFn>();

/**
 * Routes `console.*` through the current attempt's sink, once per process (idempotent).
 * Outside a step, console behaves as before.
 */
export function installConsoleCapture(): void {
  const c = console as unknown as Record<PropertyKey, unknown>;
  if (c[PATCHED]) return;
  c[PATCHED] = true;
  for (const [method, level] of CONSOLE_LEVELS) {
    const original = (c[method] as ConsoleFn).bind(console);
    originals.set(method, original);
    c[method] = (...args: unknown[]) => {
      const sink = storage.getStore();
      if (!sink) return original(...args);
      sink.add(level, format(...args));
      if (sink.passthrough) original(...args);
    };
  }
}

/** Runs `fn` with `sink` as the current attempt's log sink. */
export function withLogSink<T>(sink: LogSink, fn: () => T): T {
  return storage.run(sink, fn);
}

/** The `ctx.log` of an attempt. */
export function stepLogger(sink: LogSink, label: string): StepLogger {
  const make =
    (level: LogLevel, method: keyof Console) =>
    (message: string, data?: unknown): void => {
      sink.add(level, message, data);
      if (sink.passthrough) {
        const print = originals.get(method) ?? (console[method] as ConsoleFn).bind(console);
        if (data === undefined) print(`[${label}] ${message}`);
        else print(`[${label}] ${message}`, data);
      }
    };
  return {
    debug: make("debug", "debug"),
    info: make("info", "info"),
    warn: make("warn", "warn"),
    error: make("error", "error"),
  };
}
