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

/** Options shared by the event waits. */
export interface WaitOptions<T = unknown> {
  /** Give up after this many ms (measured from the first time the wait was reached). */
  timeout?: number;
  /** Resolve to this instead of throwing `WaitTimeoutError` when the timeout passes. */
  timeoutValue?: T;
}

/** Kind of human input requested. */
export type InputType = "approval" | "single_choice" | "multi_choice" | "free_text" | "form";

/** One choice of a choice input. */
export interface InputChoice {
  value: string;
  label?: string;
}

/** Field types of a form input. */
export type FormFieldType =
  "text" | "textarea" | "number" | "boolean" | "select" | "multiselect" | "date" | "email";

/** One field of a form input. */
export interface FormField {
  name: string;
  type: FormFieldType;
  label?: string;
  required?: boolean;
  /** Allowed values of `select` / `multiselect` fields. */
  options?: string[];
}

/** Options of `ctx.waitForInput`. */
export interface InputOptions<T = unknown> extends WaitOptions<T> {
  type?: InputType;
  prompt?: string;
  metadata?: unknown;
  fields?: FormField[];
  choices?: InputChoice[];
  /** On timeout: `"resume"` (default: timeoutValue or WaitTimeoutError) or `"fail"` the workflow. */
  onTimeout?: "resume" | "fail";
}

/** A workflow as the orchestration calls accept it: the definition object, or its name. */
export type WorkflowRef<I = any, O = any> =
  { readonly name: string; readonly "~types"?: { readonly input: I; readonly output: O } } | string;

/** Options of `ctx.startWorkflow`. */
export interface StartChildOptions {
  /** Identity of the call within the step (default: workflow name + call position). */
  ref?: string;
  queue?: string;
  priority?: number;
}

/** Options of `ctx.callWorkflow`. */
export interface CallChildOptions<T = unknown> extends StartChildOptions, WaitOptions<T> {}

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

  /** Suspends the execution durably for `ms` milliseconds (no slot, no timer held). */
  sleep(ms: number): Promise<void>;
  /** Suspends until `date` (a past date resolves at once). */
  sleepUntil(date: Date): Promise<void>;
  /** Waits for an event sent with `sendEvent(id, name, payload)`; resolves to its payload. */
  waitForEvent<T = unknown>(name: string, options?: WaitOptions<T>): Promise<T>;
  /** Waits for the first of several events. */
  waitForAny<T = unknown>(
    names: string[],
    options?: WaitOptions<T>,
  ): Promise<{ event: string; payload: unknown } | T>;
  /** Waits until every named event arrived; resolves to their payloads by name. */
  waitForAll<T = unknown>(
    names: string[],
    options?: WaitOptions<T>,
  ): Promise<Record<string, unknown> | T>;
  /** Asks a person for input (answered with `provideInput`). */
  waitForInput<T = unknown>(name: string, options?: InputOptions): Promise<T>;
  /** An approval: resolves to `"approved"` or `"rejected"` (or the timeoutValue). */
  waitForApproval<T = "approved" | "rejected">(
    name: string,
    options?: Omit<InputOptions<T>, "type">,
  ): Promise<"approved" | "rejected" | T>;
  /** A single choice among `choices`: resolves to the chosen value. */
  waitForChoice<T = string>(
    name: string,
    options: Omit<InputOptions<T>, "type"> & { choices: InputChoice[] },
  ): Promise<string | T>;
  /** Free text. */
  waitForText<T = string>(
    name: string,
    options?: Omit<InputOptions<T>, "type">,
  ): Promise<string | T>;
  /** A form: resolves to the submitted object. */
  waitForForm<T = Record<string, unknown>>(
    name: string,
    options: Omit<InputOptions<T>, "type"> & { fields: FormField[] },
  ): Promise<T>;
  /**
   * Starts a child workflow and suspends until it ends; resolves to its output. A
   * failed, cancelled or compensated child rejects with `ChildWorkflowError`.
   */
  callWorkflow<I, O>(
    workflow: WorkflowRef<I, O>,
    input: I,
    options?: CallChildOptions<O>,
  ): Promise<O>;
  /** Starts a child workflow and resolves to its id at once. */
  startWorkflow<I>(
    workflow: WorkflowRef<I>,
    input: I,
    options?: StartChildOptions,
  ): Promise<string>;
}

/** Context of a forEach item: the step context plus the item's index. */
export interface ItemContext<WorkflowInput = unknown> extends StepContext<WorkflowInput> {
  /** 0-based index of the item. */
  readonly index: number;
}
