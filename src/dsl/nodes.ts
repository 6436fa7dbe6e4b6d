/**
 * The definition model: what a workflow builder produces. Plain data plus user
 * functions, no I/O. Every node kind of the spec is modelled here; the engine
 * interprets them.
 * @module
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";

/** Backoff shape between retry attempts. */
export type Backoff = "exponential" | "linear" | "constant";

/** Retry policy of a step, forEach item or compensation. */
export interface RetryPolicy {
  /** Total attempts, including the first (default 1: no retry). */
  maxAttempts?: number;
  backoff?: Backoff;
  /** Delay before the second attempt, in ms (default 1000). */
  baseDelay?: number;
  /** Upper bound of any delay, in ms (default 30000). */
  maxDelay?: number;
  /** Randomize each delay by ±25 % (default true). */
  jitter?: boolean;
}

/** Options of a step. */
export interface StepOptions {
  retry?: RetryPolicy;
  /** Milliseconds per attempt; on expiry the attempt fails with `StepTimeoutError`. */
  timeout?: number;
  /** Name of a compensation (declared with `.compensate`) that undoes this step. */
  compensate?: string;
}

/** A user function run as a step: `(data, ctx) => next`. The ctx type lives in runtime. */
export type StepFn = (data: any, ctx: any) => unknown;

/** Marker returned by a decision (or step / parallel `into`) to jump forward. */
export interface Goto<T = unknown> {
  readonly __goto__: true;
  readonly target: string;
  readonly data: T;
}

/** A plain step. */
export interface StepNode {
  kind: "step";
  name: string;
  fn: StepFn;
  options: StepOptions;
}

/** A step that may return `goto(target, data)`. */
export interface DecisionNode {
  kind: "decision";
  name: string;
  fn: StepFn;
  options: StepOptions & { targets?: string[] };
}

/** Routes to one case pipeline by `String(selector(data))`; `_` is the default case. */
export interface BranchNode {
  kind: "branch";
  name: string;
  selector: (data: any) => unknown;
  cases: Record<string, Node[]>;
}

/** Error handling of parallel blocks and forEach. */
export type OnError = "fail_fast" | "complete_all";

/** One child of a parallel block: a step whose result lands under `returns` (default its name). */
export interface ParallelChild {
  kind: "step";
  name: string;
  fn: StepFn;
  options: StepOptions & { returns?: string };
}

/** Runs its children concurrently on the same input. */
export interface ParallelNode {
  kind: "parallel";
  name: string;
  children: ParallelChild[];
  options: {
    onError?: OnError;
    maxConcurrency?: number;
    into?: (data: any, results: Record<string, ItemResult>) => unknown;
  };
}

/** Result of one parallel child or forEach item. */
export type ItemResult<T = unknown> =
  { ok: true; value: T } | { ok: false; error: import("../core/errors.js").ErrorInfo };

/** Runs `fn(item, ctx)` per item of `items(data)`, each durably checkpointed. */
export interface ForEachNode {
  kind: "forEach";
  name: string;
  items: (data: any) => unknown[] | Promise<unknown[]>;
  fn: StepFn;
  options: {
    concurrency?: number;
    onError?: OnError;
    retry?: RetryPolicy;
    timeout?: number;
    into?: (data: any, results: ItemResult[]) => unknown;
  };
}

/** Repeats its body while `while(data)` holds, at most `maxIterations` times. */
export interface LoopNode {
  kind: "loop";
  name: string;
  while: (data: any) => boolean;
  maxIterations: number;
  body: Node[];
}

/** Any node of a pipeline. */
export type Node = StepNode | DecisionNode | BranchNode | ParallelNode | ForEachNode | LoopNode;

/** A compensation: undoes a completed step, given that step's output. */
export interface CompensationDef {
  name: string;
  fn: StepFn;
  options: { retry?: RetryPolicy; timeout?: number };
}

/** Declared cron schedule of a workflow. */
export interface DeclaredSchedule {
  cron: string;
  timezone?: string;
  input?: unknown;
  name?: string;
  catchUp?: "none" | "one" | "all";
  overlap?: "allow" | "skip";
}

/** Options of `workflow(name, options)`. */
export interface WorkflowOptions<Input = unknown> {
  /** Milliseconds for the whole execution, measured from its first start. */
  timeout?: number;
  /** Default queue of its executions (default `"default"`). */
  queue?: string;
  /** Default priority (higher runs first, default 0). */
  priority?: number;
  /** Standard Schema validator (zod, valibot, arktype...) for the input. */
  input?: StandardSchemaV1<unknown, Input>;
  schedule?: DeclaredSchedule;
  /** Crash interruptions of one step tolerated before `RecoveryLimitError` (default 5). */
  maxRecoveries?: number;
  description?: string;
}

/** The pure data of a workflow definition. */
export interface WorkflowDefinition {
  readonly name: string;
  readonly options: WorkflowOptions<any>;
  readonly nodes: readonly Node[];
  readonly compensations: ReadonlyMap<string, CompensationDef>;
}
