/**
 * The context object a step function receives as its second argument.
 * @module
 */

/** Logger bound to the running step attempt; entries land in the attempt's `logs`. */
export interface StepLogger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}

/** What a step function gets as `ctx`. */
export interface StepContext<WorkflowInput = unknown> {
  /** Id of the execution. */
  readonly workflowId: string;
  /** Name of the workflow. */
  readonly workflowName: string;
  /** Name of the node running. */
  readonly stepName: string;
  /** Attempt number, 1-based. */
  readonly attempt: number;
  /** The execution's original input. */
  readonly input: WorkflowInput;
  /** Aborted on cancel, step timeout and workflow timeout. */
  readonly signal: AbortSignal;
  /** Captured logger (also prints, unless `captureLogs.passthrough` is false). */
  readonly log: StepLogger;
}

/** Context of a forEach item: the step context plus the item's index. */
export interface ItemContext<WorkflowInput = unknown> extends StepContext<WorkflowInput> {
  /** 0-based index of the item. */
  readonly index: number;
}
