/**
 * Durable: durable, resumable workflows for TypeScript on PostgreSQL or embedded PGlite.
 * @packageDocumentation
 */
export { workflow, goto, isWorkflow } from "./dsl/index.js";
export type * from "./dsl/index.js";
export { seconds, minutes, hours, days } from "./core/duration.js";
export * from "./core/errors.js";
export type * from "./core/types.js";
export { TERMINAL_STATUSES, isTerminal, systemClock } from "./core/types.js";
export type {
  StepContext,
  ItemContext,
  StepLogger,
  WaitOptions,
  InputOptions,
  InputType,
  InputChoice,
  FormField,
  FormFieldType,
  WorkflowRef,
  StartChildOptions,
  CallChildOptions,
} from "./core/context.js";
export {
  nextBusinessDay,
  nextWeekday,
  endOfDay,
  type TimeZoneOptions,
  type LocalTimeOptions,
  type WeekdayName,
} from "./core/time.js";
export type { PendingInput, PendingEvent } from "./client/signals.js";
export { createDurable, Durable } from "./client/durable.js";
export type { GetExecutionOptions, ListExecutionsOptions } from "./client/queries.js";
export type { CleanupOptions } from "./client/control.js";
export type {
  Schedule,
  ScheduleOptions,
  UpdateScheduleOptions,
  ListSchedulesOptions,
  TriggerScheduleOptions,
  CatchUp,
  Overlap,
  ScheduleFiredEvent,
} from "./client/schedules.js";
export type { DurableOptions } from "./client/options.js";
export type { StartOptions } from "./client/start-options.js";
export { migrate, type MigrateOptions } from "./client/migrate.js";
export type { LifecycleEvent, LifecycleEventName, LifecycleListener } from "./runtime/events.js";
export type { CaptureLogsOptions } from "./runtime/logs.js";
export type { QueueOptions } from "./runtime/worker.js";
export type { ExecutionFilter, MigrationStatus } from "./store/index.js";
export type {
  GraphJson,
  GraphNode,
  GraphEdge,
  GraphFormat,
  GraphNodeKind,
  GraphNodeState,
} from "./engine/graph.js";
