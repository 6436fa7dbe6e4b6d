/**
 * Reading executions: get, list, count, children, graph.
 * @module
 */
import { NotFoundError, ValidationError } from "../core/errors.js";
import type { Execution, ExecutionStatus, StepExecution } from "../core/types.js";
import type { AnyWorkflow } from "../dsl/builder-types.js";
import { renderGraph, type GraphFormat, type GraphJson } from "../engine/graph.js";
import type { ExecutionFilter } from "../store/index.js";
import { DurableCore } from "./core.js";

/** Options of `getExecution`. */
export interface GetExecutionOptions {
  /** Include every step record, in execution order. */
  includeSteps?: boolean;
  /** Include each step record's captured logs (implies `includeSteps`). */
  includeLogs?: boolean;
}

/** Filters of `listExecutions` and `countExecutions`. */
export interface ListExecutionsOptions extends ExecutionFilter {
  /** At most this many (default 50, at most 1000). */
  limit?: number;
  offset?: number;
}

/** Query methods of the engine object. */
export class DurableQueries extends DurableCore {
  /** Reads an execution, or null when the id is unknown. */
  async getExecution(id: string, options: GetExecutionOptions = {}): Promise<Execution | null> {
    this.assertOpen();
    const exec = await this.executions.get(String(id));
    if (exec && (options.includeSteps || options.includeLogs))
      exec.steps = await this.executions.steps(exec.id, options.includeLogs === true);
    return exec;
  }

  /** Lists executions, newest first. */
  async listExecutions(options: ListExecutionsOptions = {}): Promise<Execution[]> {
    this.assertOpen();
    const { limit = 50, offset = 0, ...filter } = options;
    checkPage(limit, offset);
    return this.executions.list(filter, limit, offset);
  }

  /** Counts executions matching the filters. */
  async countExecutions(filter: ExecutionFilter = {}): Promise<number> {
    this.assertOpen();
    return this.executions.count(filter);
  }

  /** Child executions of a parent, oldest first. */
  async listChildren(
    parentId: string,
    options: { status?: ExecutionStatus | ExecutionStatus[] } = {},
  ): Promise<Execution[]> {
    this.assertOpen();
    return this.executions.list({ parentId, status: options.status }, 1000, 0, "oldest");
  }

  /**
   * Draws a workflow as JSON, Mermaid or Graphviz DOT; with `executionId`,
   * every node carries that execution's state (status, attempts, duration).
   */
  async graph(
    workflow: AnyWorkflow | string,
    options: { format?: GraphFormat; executionId?: string } = {},
  ): Promise<GraphJson | string> {
    this.assertOpen();
    const def = this.definitionOf(workflow);
    const format = options.format ?? "json";
    if (!["json", "mermaid", "dot"].includes(format))
      throw new ValidationError(
        `graph format must be "json", "mermaid" or "dot" (got ${JSON.stringify(format)})`,
      );
    let steps: StepExecution[] | undefined;
    if (options.executionId !== undefined) {
      const exec = await this.executions.get(String(options.executionId));
      if (!exec) throw new NotFoundError(`No execution with id "${options.executionId}"`);
      if (exec.workflow !== def.name)
        throw new ValidationError(
          `Execution ${exec.id} is of workflow "${exec.workflow}", not "${def.name}"`,
        );
      steps = await this.executions.steps(exec.id, false);
    }
    return renderGraph(def, format, steps);
  }
}

function checkPage(limit: unknown, offset: unknown): void {
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 1000)
    throw new ValidationError("limit must be an integer from 1 to 1000");
  if (!Number.isInteger(offset) || (offset as number) < 0)
    throw new ValidationError("offset must be an integer >= 0");
}
