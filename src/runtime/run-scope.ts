/**
 * What the pieces of a run (interpreter, leaf attempts, compensations) share: the
 * journal, the fenced writer, the clock, events, and the run's stop signal.
 * @module
 */
import type { ErrorInfo } from "../core/errors.js";
import type { Clock, Logger, NodePath, StepStatus, StepType } from "../core/types.js";
import type { WorkflowDefinition } from "../dsl/nodes.js";
import type { Journal } from "../engine/journal.js";
import type { StopReason } from "../engine/outcome.js";
import type { LifecycleEvent, LifecycleEventName } from "./events.js";
import type { CaptureLogsOptions } from "./logs.js";
import type { WaitMethods } from "./waits.js";

/** A record to write, with values not yet encoded. */
export interface RecordSpec {
  name: string;
  type: StepType;
  path: NodePath;
  attempt: number;
  status: StepStatus;
  input: unknown;
  /** Pre-encoded output (JSON text), when the attempt already encoded it. */
  outputJson?: string | null;
  output?: unknown;
  error?: ErrorInfo | null;
  startedAt?: number | null;
  completedAt?: number | null;
  logs?: string | null;
  compensationFor?: string | null;
}

/** Execution-row fields a record write may update alongside. */
export interface ProgressFields {
  /** JSON text of the value flowing through the pipeline now. */
  context?: string;
  currentStep?: string | null;
}

/** The shared context of one run. */
export interface RunScope {
  readonly def: WorkflowDefinition;
  readonly executionId: string;
  readonly workflowInput: unknown;
  readonly journal: Journal;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly capture: Required<CaptureLogsOptions> | false;
  readonly random: () => number;
  /** Aborted (with a {@link StopReason}) when the run must stop. */
  readonly stop: AbortSignal;
  /** Workflow deadline in epoch ms, if the workflow has a timeout. */
  readonly deadline: number | null;
  /** True while the run is taking over from a crashed owner (until its first new record). */
  recovering: boolean;
  /** True once the engine is closing: start nothing new. */
  closing(): boolean;
  /**
   * Writes a record (fenced) and adds it to the journal. Returns false when the lease
   * is gone: the caller must stop. `final`: the record of the workflow's last node; it
   * rides along with the execution's next write (the end), saving a round trip.
   */
  record(spec: RecordSpec, progress?: ProgressFields, final?: boolean): Promise<boolean>;
  /** Why the run stopped, when `stop` is aborted. */
  stopReason(): StopReason;
  emit(type: LifecycleEventName, extra?: Partial<LifecycleEvent>): void;
  /** The wait primitives for one attempt of the step at `path`. */
  waitsFor(
    path: NodePath,
    stepName: string,
    suspend: (until: number | null) => Promise<never>,
  ): WaitMethods;
}
