/**
 * Types of the workflow builder: how the context type flows from node to node.
 * @module
 */
import type { ItemContext, StepContext } from "../core/context.js";
import type {
  Goto,
  ItemResult,
  Node,
  OnError,
  ParallelChild,
  RetryPolicy,
  StepOptions,
  WorkflowDefinition,
} from "./nodes.js";

/**
 * The type the next node receives after a node returned `R`.
 *
 * - `undefined` / `void` passes the node's input (`Ctx`) on unchanged;
 * - `Goto<D>` contributes `D`: the jump data may land on the very next node (when it
 *   is the target), so the next node is typed conservatively with both the fall-through
 *   value and the jump data;
 * - anything else is the new context; promises are awaited.
 */
export type Flow<Ctx, R> = 0 extends 1 & R ? any : FlowMember<Ctx, Awaited<R>>;
type FlowMember<Ctx, T> = T extends Goto<infer D> ? D : T extends void ? Ctx : T;

/** A step function: `(data, ctx) => next`, sync or async. */
export type StepFunction<Input, Ctx, R> = (data: Ctx, ctx: StepContext<Input>) => R | Promise<R>;

/** Flattens an intersection for readable hovers. */
export type Prettify<T> = { [K in keyof T]: T[K] } & {};

/** Empty record: the results of a parallel block before its first child. */
export type NoResults = Record<never, never>;

declare const _noInto: unique symbol;
/** Marker: no `into` was given to a parallel block or forEach. */
export type NoInto = typeof _noInto;

/** Next type of a parallel/forEach: `Default` without `into`, `into`'s flow with it. */
export type IntoFlow<Ctx, Out, Default> = 0 extends 1 & Out
  ? any
  : [Out] extends [NoInto]
    ? Default
    : Flow<Ctx, Out>;

/** Options of `.decision(name, fn, options)`. */
export interface DecisionOptions extends StepOptions {
  /** Possible jump targets (later siblings), declared for the graph; checked at build time. */
  targets?: string[];
}

/** Options of one parallel child: step options plus the key of its result. */
export interface ParallelStepOptions<K extends string = string> extends StepOptions {
  /** Key of this child's result in `__results__` (default: the child's name). */
  returns?: K;
}

/** Options of `.parallel(name, block, options)`. */
export interface ParallelOptions<Ctx, Results, Out> {
  /** `"fail_fast"` (default) or `"complete_all"` (implied by `into`). */
  onError?: OnError;
  /** Children running at once (default unbounded). */
  maxConcurrency?: number;
  /** Replaces the default `{ ...data, __results__ }` merge; may return `goto(...)`. */
  into?: (data: Ctx, results: Results) => Out;
}

/** Options of `.forEach(name, items, fn, options)`. */
export interface ForEachOptions<Ctx, T, Out> {
  /** Items running at once (default 1). */
  concurrency?: number;
  /** `"fail_fast"` (default) or `"complete_all"` (implied by `into`). */
  onError?: OnError;
  /** Retry policy of each item. */
  retry?: RetryPolicy;
  /** Milliseconds per item attempt. */
  timeout?: number;
  /** Replaces the default `{ ...data, __results__ }` merge; may return `goto(...)`. */
  into?: (data: Ctx, results: ItemResult<T>[]) => Out;
}

/** Options of `.loop(name, options, body)`. */
export interface LoopOptions<Ctx> {
  /** Checked before each iteration; the loop ends when it returns false. */
  while: (data: Ctx) => boolean;
  /** Iterations allowed before `LoopLimitError` (default 1000). */
  maxIterations?: number;
}

/** Options of `.compensate(name, fn, options)`. */
export interface CompensationOptions {
  retry?: RetryPolicy;
  /** Milliseconds per attempt. */
  timeout?: number;
}

/** Which builder a chain method returns: the top-level workflow or a sub-pipeline. */
export type BuilderKind = "workflow" | "pipeline";

/** The builder of kind `K` with context type `C`. */
export type Rebuild<K extends BuilderKind, Input, C> = K extends "workflow"
  ? Workflow<Input, C>
  : Pipeline<Input, C>;

/** Case builders of a branch: each receives a sub-pipeline starting at the branch's input. */
export type BranchCases<Input, Ctx> = Record<
  string,
  (b: Pipeline<Input, Ctx>) => Pipeline<Input, any>
>;

/** Final type of a pipeline. */
export type PipelineOutput<P> = P extends { readonly "~types"?: { readonly output: infer O } }
  ? O
  : never;

/** Next type after a branch: the union of its cases' final types, plus `Ctx` without a `_` default. */
export type BranchOutput<Ctx, Cases> =
  | {
      [K in keyof Cases]: Cases[K] extends (b: any) => infer P ? PipelineOutput<P> : never;
    }[keyof Cases]
  | ("_" extends keyof Cases ? never : Ctx);

/** The node-adding methods shared by {@link Workflow} and {@link Pipeline}. */
export interface Chain<Input, Ctx, K extends BuilderKind> {
  /** Adds a step: `fn(data, ctx)` receives the previous node's value; its return flows on. */
  step<R>(name: string, fn: StepFunction<Input, Ctx, R>): Rebuild<K, Input, Flow<Ctx, R>>;
  step<R>(
    name: string,
    options: StepOptions,
    fn: StepFunction<Input, Ctx, R>,
  ): Rebuild<K, Input, Flow<Ctx, R>>;
  /** Adds a decision: a step that may return `goto(target, data)` to jump to a later sibling. */
  decision<R>(
    name: string,
    fn: StepFunction<Input, Ctx, R>,
    options?: DecisionOptions,
  ): Rebuild<K, Input, Flow<Ctx, R>>;
  /** Routes to one case by `String(selector(data))`; `_` is the default case. */
  branch<Cases extends BranchCases<Input, Ctx>>(
    name: string,
    selector: (data: Ctx) => unknown,
    cases: Cases,
  ): Rebuild<K, Input, BranchOutput<Ctx, Cases>>;
  /** Runs the block's steps concurrently, each on the same input. */
  parallel<Results, Out = NoInto>(
    name: string,
    block: (p: ParallelBuilder<Input, Ctx>) => ParallelBuilder<Input, Ctx, Results>,
    options?: ParallelOptions<Ctx, Prettify<Results>, Out>,
  ): Rebuild<K, Input, IntoFlow<Ctx, Out, Ctx & { __results__: Prettify<Results> }>>;
  /** Runs `fn(item, ctx)` for each item of `items(data)`, each durably checkpointed. */
  forEach<T, R, Out = NoInto>(
    name: string,
    items: (data: Ctx) => readonly T[] | Promise<readonly T[]>,
    fn: (item: T, ctx: ItemContext<Input>) => R | Promise<R>,
    options?: ForEachOptions<Ctx, Awaited<R>, Out>,
  ): Rebuild<K, Input, IntoFlow<Ctx, Out, Ctx & { __results__: ItemResult<Awaited<R>>[] }>>;
  /** Repeats the body while `options.while(data)` holds; the body must end Ctx-compatible. */
  loop<Out extends Ctx>(
    name: string,
    options: LoopOptions<Ctx>,
    body: (b: Pipeline<Input, Ctx>) => Pipeline<Input, Out>,
  ): Rebuild<K, Input, Ctx | Out>;
}

/**
 * An immutable workflow builder whose current context type is `Output`; it is also
 * the workflow definition (register it, start it, draw it).
 */
export interface Workflow<Input = unknown, Output = Input> extends Chain<
  Input,
  Output,
  "workflow"
> {
  /** Phantom types, for {@link InputOf} / {@link OutputOf}. Always undefined at run time. */
  readonly "~types"?: { readonly input: Input; readonly output: Output };
  /** The workflow's name. */
  readonly name: string;
  /** The validated definition; reading it throws `DefinitionError` if the workflow is invalid. */
  readonly definition: WorkflowDefinition;
  /**
   * Declares a top-level compensation, referenced by steps with `{ compensate: name }`.
   * `fn` receives the output of the step it undoes (type it with a parameter annotation).
   */
  compensate<D = any>(
    name: string,
    fn: (data: D, ctx: StepContext<Input>) => unknown,
    options?: CompensationOptions,
  ): Workflow<Input, Output>;
}

/** A sub-pipeline (branch case, loop body): the node methods of a workflow. */
export interface Pipeline<Input = unknown, Output = unknown> extends Chain<
  Input,
  Output,
  "pipeline"
> {
  /** Phantom types. Always undefined at run time. */
  readonly "~types"?: { readonly input: Input; readonly output: Output };
  /** The nodes added so far. */
  readonly nodes: readonly Node[];
}

/** Builder of a parallel block's children; `Results` types `__results__` per key. */
export interface ParallelBuilder<Input, Ctx, Results = NoResults> {
  /** Phantom types. Always undefined at run time. */
  readonly "~types"?: { readonly results: Results };
  /** The children added so far. */
  readonly children: readonly ParallelChild[];
  /** Adds a child step; its result lands under its name. */
  step<const N extends string, R>(
    name: N,
    fn: StepFunction<Input, Ctx, R>,
  ): ParallelBuilder<Input, Ctx, Results & { [P in N]: ItemResult<Awaited<R>> }>;
  /** Adds a child step; its result lands under `options.returns` (default its name). */
  step<const N extends string, R, const Key extends string = N>(
    name: N,
    options: ParallelStepOptions<Key>,
    fn: StepFunction<Input, Ctx, R>,
  ): ParallelBuilder<Input, Ctx, Results & { [P in Key]: ItemResult<Awaited<R>> }>;
}

/** Any workflow, whatever its types. */
export type AnyWorkflow = Workflow<any, any>;

/** The input type of a workflow. */
export type InputOf<W extends AnyWorkflow> = NonNullable<W["~types"]>["input"];

/** The output type of a workflow (its final context type). */
export type OutputOf<W extends AnyWorkflow> = NonNullable<W["~types"]>["output"];
