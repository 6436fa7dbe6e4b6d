/**
 * Mapping of database rows to the public shapes.
 * @module
 */
import { decode } from "../core/serialize.js";
import type { ErrorInfo } from "../core/errors.js";
import type {
  CompensationResult,
  Execution,
  ExecutionStatus,
  LogEntry,
  NodePath,
  StepExecution,
  StepStatus,
  StepType,
} from "../core/types.js";

/** A row of `executions` as the drivers return it. */
export interface ExecutionRow {
  id: string;
  workflow: string;
  status: ExecutionStatus;
  queue: string;
  priority: number;
  input: unknown;
  context: unknown;
  output: unknown;
  error: ErrorInfo | null;
  current_step: string | null;
  state: Record<string, unknown>;
  parent_id: string | null;
  scheduled_at: Date | null;
  started_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  timeout_at: Date | null;
  lease_token: number;
  compensation_results: CompensationResult[] | null;
  compensated_at: Date | null;
  schedule_name: string | null;
  schedule_fire_at: Date | null;
}

/** A row of `steps`. */
export interface StepRow {
  id: string;
  name: string;
  type: StepType;
  path: NodePath;
  attempt: number;
  status: StepStatus;
  input: unknown;
  output: unknown;
  error: ErrorInfo | null;
  started_at: Date | null;
  completed_at: Date | null;
  duration_ms: number | null;
  child_id: string | null;
  compensation_for: string | null;
  logs?: { at: string; level: LogEntry["level"]; message: string; data?: unknown }[] | null;
}

const opt = (v: unknown): unknown => (v === null || v === undefined ? null : decode(v));

/** Columns selected for an execution (the state column stays internal). */
export const EXECUTION_COLUMNS = `id, workflow, status, queue, priority, input, context, output, error,
  current_step, state, parent_id, scheduled_at, started_at, completed_at, created_at, updated_at,
  timeout_at, lease_token, compensation_results, compensated_at, schedule_name, schedule_fire_at`;

/** Maps an executions row to an {@link Execution}. */
export function toExecution(row: ExecutionRow): Execution {
  return {
    id: row.id,
    workflow: row.workflow,
    status: row.status,
    queue: row.queue,
    priority: row.priority,
    input: opt(row.input),
    context: opt(row.context),
    output: opt(row.output),
    currentStep: row.current_step,
    error: row.error,
    parentId: row.parent_id,
    scheduledAt: row.scheduled_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    compensationResults: row.compensation_results,
    compensatedAt: row.compensated_at,
    scheduleName: row.schedule_name,
    scheduleFireAt: row.schedule_fire_at,
  };
}

/** Maps a steps row to a {@link StepExecution}. */
export function toStep(row: StepRow): StepExecution {
  const step: StepExecution = {
    id: String(row.id),
    name: row.name,
    type: row.type,
    path: row.path,
    attempt: row.attempt,
    status: row.status,
    input: opt(row.input),
    output: opt(row.output),
    error: row.error,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    durationMs: row.duration_ms,
    childId: row.child_id,
    compensationFor: row.compensation_for,
  };
  if (row.logs !== undefined)
    step.logs = (row.logs ?? []).map((l) => ({ ...l, at: new Date(l.at) }));
  return step;
}
