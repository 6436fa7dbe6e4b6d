/**
 * Public data shapes: executions, step records, logs, statuses.
 * @module
 */
import type { ErrorInfo } from "./errors.js";

/** Status of an execution. Terminal: completed, failed, cancelled, compensated, compensation_failed. */
export type ExecutionStatus =
  | "pending"
  | "running"
  | "waiting"
  | "completed"
  | "failed"
  | "cancelled"
  | "compensating"
  | "compensated"
  | "compensation_failed";

/** Statuses that never change again (except `failed`, through `retry`). */
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = [
  "completed",
  "failed",
  "cancelled",
  "compensated",
  "compensation_failed",
];

/** Whether an execution status is terminal. */
export function isTerminal(status: ExecutionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Status of one step record (one attempt of a node). */
export type StepStatus =
  "pending" | "running" | "waiting" | "completed" | "failed" | "cancelled" | "skipped";

/** Kind of node a step record belongs to. */
export type StepType =
  "step" | "decision" | "branch" | "parallel" | "forEach" | "loop" | "compensation";

/** Level of a captured log entry. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One log line captured while a step attempt ran. */
export interface LogEntry {
  at: Date;
  level: LogLevel;
  message: string;
  data?: unknown;
}

/** Path of a node: node names from the top down, with loop iterations / forEach indexes as numbers. */
export type NodePath = (string | number)[];

/** One recorded attempt of a node. */
export interface StepExecution {
  id: string;
  name: string;
  type: StepType;
  path: NodePath;
  attempt: number;
  status: StepStatus;
  input: unknown;
  output: unknown;
  error: ErrorInfo | null;
  startedAt: Date | null;
  completedAt: Date | null;
  durationMs: number | null;
  childId?: string | null;
  compensationFor?: string | null;
  logs?: LogEntry[];
}

/** Result of one compensation that ran after a failure. */
export interface CompensationResult {
  step: string;
  compensation: string;
  status: "completed" | "failed";
  error?: ErrorInfo;
}

/** One execution (run) of a workflow. */
export interface Execution<Output = unknown> {
  id: string;
  workflow: string;
  status: ExecutionStatus;
  queue: string;
  priority: number;
  input: unknown;
  /** The value flowing through the pipeline at the last checkpoint. */
  context: unknown;
  output: Output | null;
  /** Name of the node the execution is at (or last ran). */
  currentStep: string | null;
  error: ErrorInfo | null;
  parentId: string | null;
  scheduledAt: Date | null;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  compensationResults: CompensationResult[] | null;
  compensatedAt: Date | null;
  /** Name of the schedule that started it; null when no schedule did. */
  scheduleName: string | null;
  /** The cron fire time it was started for; null when not started by a cron fire. */
  scheduleFireAt: Date | null;
  /** Present when requested with `includeSteps`: every record, in execution order. */
  steps?: StepExecution[];
}

/** Source of time. Inject a fake one in tests for long waits. */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Minimal structured logger the engine writes its own diagnostics to. */
export interface Logger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}
