/**
 * The workflow builder: `workflow(name, options)` and its immutable chain.
 * @module
 */
import { DefinitionError } from "../core/errors.js";
import type { AnyWorkflow, Workflow } from "./builder-types.js";
import type {
  BranchNode,
  CompensationDef,
  ForEachNode,
  LoopNode,
  Node,
  ParallelChild,
  ParallelNode,
  StepFn,
  WorkflowDefinition,
  WorkflowOptions,
} from "./nodes.js";
import {
  checkCompensation,
  checkNode,
  checkUniqueNames,
  checkWorkflowName,
  checkWorkflowOptions,
  validateDefinition,
} from "./validate.js";

type Options = Record<string, unknown>;
type AnyFn = (...args: any[]) => unknown;

const DEFAULT_MAX_ITERATIONS = 1000;

/** A shallow copy of a user option object, without undefined values, `retry` copied too. */
function copyOptions(where: string, value: unknown): Options {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DefinitionError(`${where}: options must be an object`);
  }
  const out: Options = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (key === "retry" && typeof v === "object" && v !== null) out[key] = Object.freeze({ ...v });
    else if (key === "targets" && Array.isArray(v)) out[key] = Object.freeze([...(v as unknown[])]);
    else out[key] = v;
  }
  return Object.freeze(out);
}

/** Splits `(options, fn)` / `(fn)` argument forms. */
function optionsAndFn(a: unknown, b: unknown): [unknown, unknown] {
  return typeof a === "function" && b === undefined ? [undefined, a] : [a, b];
}

/** Shared implementation of the node methods of workflows and sub-pipelines. */
abstract class ChainImpl {
  constructor(
    protected readonly workflowName: string,
    readonly nodes: readonly Node[],
  ) {}

  /** A new builder of the same kind holding `nodes` (already validated). */
  protected abstract derive(nodes: readonly Node[]): ChainImpl;

  protected where(kind: string, name: unknown): string {
    return `Workflow ${JSON.stringify(this.workflowName)}, ${kind} ${JSON.stringify(name)}`;
  }

  protected append(node: Node): ChainImpl {
    checkNode(this.workflowName, node);
    const nodes = Object.freeze([...this.nodes, Object.freeze(node)]);
    this.checkNames(nodes);
    return this.derive(nodes);
  }

  protected abstract checkNames(nodes: readonly Node[]): void;

  /** Runs a sub-pipeline builder function and returns its nodes. */
  private sub(where: string, what: string, build: unknown): Node[] {
    if (typeof build !== "function")
      throw new DefinitionError(`${where}: ${what} must be a function`);
    const result: unknown = build(new PipelineImpl(this.workflowName, []));
    if (!(result instanceof PipelineImpl)) {
      throw new DefinitionError(`${where}: ${what} must return the builder it was given`);
    }
    if (result.nodes.length === 0) throw new DefinitionError(`${where}: ${what} adds no node`);
    return [...result.nodes];
  }

  step(name: string, a: unknown, b?: unknown): ChainImpl {
    const [options, fn] = optionsAndFn(a, b);
    const opts = copyOptions(this.where("step", name), options);
    return this.append({ kind: "step", name, fn: fn as StepFn, options: opts });
  }

  decision(name: string, fn: unknown, options?: unknown): ChainImpl {
    const opts = copyOptions(this.where("decision", name), options);
    return this.append({ kind: "decision", name, fn: fn as StepFn, options: opts });
  }

  branch(name: string, selector: unknown, cases: unknown): ChainImpl {
    const where = this.where("branch", name);
    if (typeof cases !== "object" || cases === null || Object.keys(cases).length === 0) {
      throw new DefinitionError(`${where}: a branch needs at least one case`);
    }
    const built: Record<string, Node[]> = {};
    for (const [key, build] of Object.entries(cases)) {
      built[key] = Object.freeze(this.sub(where, `case ${JSON.stringify(key)}`, build)) as Node[];
    }
    const node: BranchNode = {
      kind: "branch",
      name,
      selector: selector as BranchNode["selector"],
      cases: Object.freeze(built),
    };
    return this.append(node);
  }

  parallel(name: string, block: unknown, options?: unknown): ChainImpl {
    const where = this.where("parallel", name);
    if (typeof block !== "function")
      throw new DefinitionError(`${where}: block must be a function`);
    const result: unknown = block(new ParallelImpl(this.workflowName, []));
    if (!(result instanceof ParallelImpl)) {
      throw new DefinitionError(`${where}: block must return the builder it was given`);
    }
    if (result.children.length === 0) {
      throw new DefinitionError(`${where}: a parallel block needs at least one step`);
    }
    let opts = copyOptions(where, options);
    if (opts.into !== undefined && opts.onError === undefined) {
      opts = Object.freeze({ ...opts, onError: "complete_all" });
    }
    const node: ParallelNode = {
      kind: "parallel",
      name,
      children: result.children as ParallelChild[],
      options: opts,
    };
    return this.append(node);
  }

  forEach(name: string, items: unknown, fn: unknown, options?: unknown): ChainImpl {
    let opts = copyOptions(this.where("forEach", name), options);
    if (opts.into !== undefined && opts.onError === undefined) {
      opts = Object.freeze({ ...opts, onError: "complete_all" });
    }
    const node: ForEachNode = {
      kind: "forEach",
      name,
      items: items as ForEachNode["items"],
      fn: fn as StepFn,
      options: opts,
    };
    return this.append(node);
  }

  loop(name: string, options: unknown, body: unknown): ChainImpl {
    const where = this.where("loop", name);
    const opts = copyOptions(where, options);
    const extra = Object.keys(opts).filter((k) => k !== "while" && k !== "maxIterations");
    if (extra.length > 0) {
      throw new DefinitionError(
        `${where}: unknown option ${extra.map((k) => `"${k}"`).join(", ")}`,
      );
    }
    const node: LoopNode = {
      kind: "loop",
      name,
      while: opts.while as LoopNode["while"],
      maxIterations: (opts.maxIterations as number | undefined) ?? DEFAULT_MAX_ITERATIONS,
      body: Object.freeze(this.sub(where, "body", body)) as Node[],
    };
    return this.append(node);
  }
}

/** A sub-pipeline: branch case or loop body. */
class PipelineImpl extends ChainImpl {
  protected derive(nodes: readonly Node[]): PipelineImpl {
    return new PipelineImpl(this.workflowName, nodes);
  }

  protected checkNames(nodes: readonly Node[]): void {
    checkUniqueNames(this.workflowName, nodes, []);
  }
}

/** Builder of a parallel block's children. */
class ParallelImpl {
  constructor(
    private readonly workflowName: string,
    readonly children: readonly ParallelChild[],
  ) {}

  step(name: string, a: unknown, b?: unknown): ParallelImpl {
    const [options, fn] = optionsAndFn(a, b);
    const where = `Workflow ${JSON.stringify(this.workflowName)}, parallel step ${JSON.stringify(name)}`;
    const child: ParallelChild = Object.freeze({
      kind: "step",
      name,
      fn: fn as StepFn,
      options: copyOptions(where, options),
    });
    return new ParallelImpl(this.workflowName, Object.freeze([...this.children, child]));
  }
}

/** The top-level workflow builder; also the definition. */
class WorkflowImpl extends ChainImpl {
  #definition: WorkflowDefinition | undefined;

  constructor(
    readonly name: string,
    private readonly options: WorkflowOptions<any>,
    nodes: readonly Node[],
    private readonly compensations: readonly CompensationDef[],
  ) {
    super(name, nodes);
  }

  protected derive(nodes: readonly Node[]): WorkflowImpl {
    return new WorkflowImpl(this.name, this.options, nodes, this.compensations);
  }

  protected checkNames(nodes: readonly Node[], comps = this.compensations): void {
    checkUniqueNames(
      this.name,
      nodes,
      comps.map((c) => c.name),
    );
  }

  compensate(name: string, fn: unknown, options?: unknown): WorkflowImpl {
    const opts = copyOptions(this.where("compensation", name), options);
    const comp: CompensationDef = Object.freeze({ name, fn: fn as AnyFn, options: opts });
    checkCompensation(this.name, comp);
    const comps = Object.freeze([...this.compensations, comp]);
    this.checkNames(this.nodes, comps);
    return new WorkflowImpl(this.name, this.options, this.nodes, comps);
  }

  /** The definition, validated on first read (references may be declared late). */
  get definition(): WorkflowDefinition {
    if (this.#definition === undefined) {
      const def: WorkflowDefinition = Object.freeze({
        name: this.name,
        options: this.options,
        nodes: this.nodes,
        compensations: new Map(this.compensations.map((c) => [c.name, c])),
      });
      validateDefinition(def);
      this.#definition = def;
    }
    return this.#definition;
  }
}

/**
 * Starts a workflow definition: an immutable builder whose every method returns a
 * new builder. The context type flows through the chain: each node's `data` is what
 * the previous node returned (`undefined` passes the input on unchanged).
 *
 * Names must be letters, digits, `_`, `-`, `.` and are unique across the workflow;
 * violations throw `DefinitionError` when the builder is called, or (for references
 * to compensations and decision targets) when `definition` is read.
 *
 * @example
 * ```ts
 * const processOrder = workflow<Order>("process_order", { timeout: hours(2) })
 *   .step("validate", (order) => ({ orderId: order.id, items: order.items }))
 *   .step("charge", { retry: { maxAttempts: 3 }, compensate: "refund" }, async (data, ctx) => {
 *     ctx.log.info("charging", { orderId: data.orderId });
 *     return { ...data, receipt: await payments.charge(data.orderId) };
 *   })
 *   .compensate("refund", (data: { receipt: string }) => payments.refund(data.receipt));
 * ```
 */
export function workflow<Input = unknown>(
  name: string,
  options?: WorkflowOptions<Input>,
): Workflow<Input, Input> {
  checkWorkflowName(name);
  checkWorkflowOptions(name, options);
  const opts = { ...copyOptions(`Workflow ${JSON.stringify(name)}`, options) };
  if (opts.schedule) opts.schedule = Object.freeze({ ...opts.schedule });
  return new WorkflowImpl(name, Object.freeze(opts), [], []) as unknown as Workflow<Input, Input>;
}

/** Whether `value` is a workflow built with {@link workflow}. */
export function isWorkflow(value: unknown): value is AnyWorkflow {
  return value instanceof WorkflowImpl;
}
