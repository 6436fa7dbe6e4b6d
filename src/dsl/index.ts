/**
 * The workflow DSL: `workflow(...)` builders, `goto`, definition validation and the
 * definition model the engine interprets.
 * @module
 */
export { workflow, isWorkflow } from "./workflow.js";
export { goto, isGoto } from "./goto.js";
export { validateDefinition, validateInput, nameProblem, MAX_NAME_LENGTH } from "./validate.js";
export type {
  AnyWorkflow,
  BranchCases,
  BranchOutput,
  Chain,
  CompensationOptions,
  DecisionOptions,
  Flow,
  ForEachOptions,
  InputOf,
  LoopOptions,
  OutputOf,
  ParallelBuilder,
  ParallelOptions,
  ParallelStepOptions,
  Pipeline,
  PipelineOutput,
  StepFunction,
  Workflow,
} from "./builder-types.js";
export type {
  Backoff,
  BranchNode,
  CompensationDef,
  DeclaredSchedule,
  DecisionNode,
  ForEachNode,
  Goto,
  ItemResult,
  LoopNode,
  Node,
  OnError,
  ParallelChild,
  ParallelNode,
  RetryPolicy,
  StepFn,
  StepNode,
  StepOptions,
  WorkflowDefinition,
  WorkflowOptions,
} from "./nodes.js";
