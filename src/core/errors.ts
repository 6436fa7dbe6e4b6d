/**
 * Error classes of Durable. Every error extends {@link DurableError} and carries a
 * stable `code` that does not change between releases, so callers can branch on it.
 * @module
 */

/** Serializable description of an error, as stored on executions and step records. */
export interface ErrorInfo {
  /** The thrown error's class name (`"TypeError"`, `"StepTimeoutError"`, ...). */
  type: string;
  /** The error message. */
  message: string;
  /** Stack trace, when the thrown value had one. */
  stack?: string;
  /** Extra structured data (for example the `code` of a Durable error). */
  data?: unknown;
  /** Name of the step that failed, when the error came from a step. */
  step?: string;
}

/** Base class of every error Durable throws. */
export class DurableError extends Error {
  /** Stable machine-readable code, e.g. `"NOT_FOUND"`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A workflow definition is invalid (bad name, duplicate node, unknown compensation...). */
export class DefinitionError extends DurableError {
  constructor(message: string) {
    super("DEFINITION_ERROR", message);
  }
}

/** Engine options are invalid; `problems` lists every problem found. */
export class ConfigError extends DurableError {
  /** Every problem found, one sentence each. */
  readonly problems: string[];
  constructor(problems: string[] | string) {
    const list = Array.isArray(problems) ? problems : [problems];
    super("CONFIG_ERROR", `Invalid configuration: ${list.join("; ")}`);
    this.problems = list;
  }
}

/** One problem reported by a validator. */
export interface ValidationIssue {
  message: string;
  path?: (string | number)[];
}

/** Input or arguments failed validation. `issues` lists what is wrong. */
export class ValidationError extends DurableError {
  /** What is wrong, with the path of each offending value where known. */
  readonly issues: ValidationIssue[];
  constructor(message: string, issues: ValidationIssue[] = []) {
    super("VALIDATION_ERROR", message);
    this.issues = issues;
  }
}

/** An execution, workflow or other named object does not exist. */
export class NotFoundError extends DurableError {
  constructor(message: string) {
    super("NOT_FOUND", message);
  }
}

/** The operation is not allowed in the object's current state. */
export class InvalidStateError extends DurableError {
  constructor(message: string) {
    super("INVALID_STATE", message);
  }
}

/** A value cannot be stored: a function, symbol or cyclic value. `path` names where. */
export class SerializationError extends DurableError {
  /** Where in the value the problem is, e.g. `$.items[2].callback`. */
  readonly path: string;
  constructor(message: string, path = "") {
    super("SERIALIZATION_ERROR", message);
    this.path = path;
  }
}

/** Throw from a step to fail it without using up the remaining retry attempts. */
export class NonRetryableError extends DurableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NON_RETRYABLE", message, options);
  }
}

/** A step attempt ran longer than its `timeout`. */
export class StepTimeoutError extends DurableError {
  constructor(step: string, timeoutMs: number) {
    super("STEP_TIMEOUT", `Step "${step}" timed out after ${timeoutMs} ms`);
  }
}

/** A workflow execution ran longer than its workflow `timeout`. */
export class WorkflowTimeoutError extends DurableError {
  constructor(workflow: string, timeoutMs: number) {
    super("WORKFLOW_TIMEOUT", `Workflow "${workflow}" timed out after ${timeoutMs} ms`);
  }
}

/** A wait (event, input, child) timed out and no `timeoutValue` was given. */
export class WaitTimeoutError extends DurableError {
  constructor(message: string) {
    super("WAIT_TIMEOUT", message);
  }
}

/** A resumed step's wait calls no longer match the recorded ones. */
export class NonDeterminismError extends DurableError {
  constructor(message: string) {
    super("NON_DETERMINISM", message);
  }
}

/** A `goto` targets itself, a previous node, or a name that is not a later sibling. */
export class InvalidGotoError extends DurableError {
  constructor(message: string) {
    super("INVALID_GOTO", message);
  }
}

/** A loop exceeded its `maxIterations`. */
export class LoopLimitError extends DurableError {
  constructor(message: string) {
    super("LOOP_LIMIT", message);
  }
}

/** A step was interrupted by crashes (expired leases) more than `maxRecoveries` times. */
export class RecoveryLimitError extends DurableError {
  constructor(message: string) {
    super("RECOVERY_LIMIT", message);
  }
}

/** A child workflow awaited with `callWorkflow` did not complete. */
export class ChildWorkflowError extends DurableError {
  /** Id of the child execution. */
  readonly childId: string;
  /** Terminal status the child ended in. */
  readonly childStatus: string;
  /** The child's error, if it recorded one. */
  readonly childError: ErrorInfo | null;
  constructor(childId: string, childStatus: string, childError: ErrorInfo | null) {
    super(
      "CHILD_WORKFLOW_FAILED",
      `Child workflow ${childId} ended ${childStatus}${childError ? `: ${childError.message}` : ""}`,
    );
    this.childId = childId;
    this.childStatus = childStatus;
    this.childError = childError;
  }
}

/** `result()` of an execution that failed (or compensated). */
export class WorkflowFailedError extends DurableError {
  /** Id of the execution. */
  readonly executionId: string;
  /** Terminal status: `failed`, `compensated` or `compensation_failed`. */
  readonly status: string;
  /** The execution's error. */
  readonly error: ErrorInfo | null;
  constructor(executionId: string, status: string, error: ErrorInfo | null) {
    super(
      "WORKFLOW_FAILED",
      `Execution ${executionId} ended ${status}${error ? `: ${error.type}: ${error.message}` : ""}`,
    );
    this.executionId = executionId;
    this.status = status;
    this.error = error;
  }
}

/** `result()` of a cancelled execution. */
export class CancelledError extends DurableError {
  /** Id of the execution. */
  readonly executionId: string;
  /** The reason given to `cancel` (`parent_cancelled` for a cascade). */
  readonly reason: string;
  constructor(executionId: string, reason: string) {
    super("CANCELLED", `Execution ${executionId} was cancelled: ${reason}`);
    this.executionId = executionId;
    this.reason = reason;
  }
}

/** `result(id, { timeout })` gave up waiting. The execution itself goes on. */
export class TimeoutError extends DurableError {
  constructor(message: string) {
    super("TIMEOUT", message);
  }
}

/** Turns any thrown value into an {@link ErrorInfo}. */
export function toErrorInfo(err: unknown, step?: string): ErrorInfo {
  let info: ErrorInfo;
  if (err instanceof Error) {
    info = { type: err.name || err.constructor.name, message: err.message };
    if (err.stack) info.stack = err.stack;
    if (err instanceof DurableError) info.data = { code: err.code };
  } else {
    let message: string;
    try {
      message = typeof err === "string" ? err : JSON.stringify(err);
    } catch {
      message = String(err);
    }
    info = { type: "NonError", message: message ?? String(err), data: { value: String(err) } };
  }
  if (step !== undefined) info.step = step;
  return info;
}
