/**
 * Walks a workflow's node tree: pipelines, decisions and gotos, branches, loops,
 * parallel blocks and forEach. Every node's outcome is recorded, and a node the
 * journal already holds is taken from it instead of run again, so a resumed
 * execution goes on exactly where it was.
 * @module
 */
import { toErrorInfo, type ErrorInfo } from "../core/errors.js";
import { roundTrip } from "../core/serialize.js";
import type { NodePath } from "../core/types.js";
import type {
  BranchNode,
  ForEachNode,
  ItemResult,
  LoopNode,
  Node,
  ParallelNode,
} from "../dsl/nodes.js";
import { loopLimit, mergeResults, nextInPipeline, pickCase, resultKey } from "../engine/flow.js";
import { failed, ok, type Outcome } from "../engine/outcome.js";
import { runLeaf } from "./leaf.js";
import type { RunScope } from "./run-scope.js";

type Guarded<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** Calls a user function of the definition (selector, while, items, into), catching throws. */
async function guard<T>(name: string, fn: () => T | Promise<T>): Promise<Guarded<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: toErrorInfo(err, name) };
  }
}

/** The earlier of two due times; null means "no due time". */
function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** Interprets the node tree of one execution. */
export class Interpreter {
  constructor(private readonly scope: RunScope) {}

  /** Runs a pipeline (the workflow, a branch case, a loop body) from its first node. */
  async pipeline(
    nodes: readonly Node[],
    input: unknown,
    prefix: NodePath,
    top = false,
  ): Promise<Outcome> {
    let index = 0;
    let data = input;
    for (;;) {
      const node = nodes[index];
      if (!node) return ok(data);
      const out = await this.node(
        node,
        data,
        [...prefix, node.name],
        top,
        top && index === nodes.length - 1,
      );
      if (out.kind !== "ok") return out;
      const next = nextInPipeline(nodes, index, data, out.value);
      if (next.kind === "error") return failed(toErrorInfo(next.error, node.name));
      if (next.kind === "end") return ok(next.data);
      index = next.index;
      data = next.data;
    }
  }

  private node(
    node: Node,
    data: unknown,
    path: NodePath,
    top: boolean,
    final: boolean,
  ): Promise<Outcome> {
    switch (node.kind) {
      case "step":
      case "decision":
        return runLeaf(this.scope, {
          name: node.name,
          type: node.kind,
          path,
          fn: node.fn,
          data,
          retry: node.options.retry,
          timeout: node.options.timeout,
          backoff: "suspend",
          progress: top,
          final,
        });
      case "branch":
        return this.branch(node, data, path);
      case "loop":
        return this.loop(node, data, path);
      case "parallel":
        return this.parallel(node, data, path);
      case "forEach":
        return this.forEach(node, data, path);
    }
  }

  /** Writes a container record; false when the lease is gone. */
  private mark(
    node: Node,
    path: NodePath,
    status: "completed" | "failed" | "running" | "skipped",
    input: unknown,
    result: { output?: unknown; error?: ErrorInfo },
  ): Promise<boolean> {
    const now = this.scope.clock.now();
    return this.scope.record({
      name: node.name,
      type: node.kind === "step" ? "step" : node.kind,
      path,
      attempt: 1,
      status,
      input,
      output: result.output,
      error: result.error ?? null,
      startedAt: now,
      completedAt: status === "running" ? null : now,
    });
  }

  private stopped(): Outcome {
    return { kind: "stopped", reason: this.scope.stopReason() };
  }

  private async branch(node: BranchNode, data: unknown, path: NodePath): Promise<Outcome> {
    const h = this.scope.journal.at(path);
    let chosen: string | null;
    if (h.completed) chosen = (h.completed.output as { case: string | null }).case;
    else {
      const value = await guard(node.name, () => node.selector(data));
      if (!value.ok) return failed(value.error);
      chosen = pickCase(node, value.value);
      const status = chosen === null ? "skipped" : "completed";
      if (!(await this.mark(node, path, status, data, { output: { case: chosen } })))
        return this.stopped();
    }
    if (chosen === null) return ok(undefined);
    return this.pipeline(node.cases[chosen] ?? [], data, path);
  }

  private async loop(node: LoopNode, data: unknown, path: NodePath): Promise<Outcome> {
    const h = this.scope.journal.at(path);
    if (h.completed) return ok(h.completed.output);
    let current = data;
    for (let i = 0; ; i++) {
      const cond = await guard(node.name, () => node.while(current));
      if (!cond.ok) return failed(cond.error);
      if (!cond.value) break;
      const limit = loopLimit(node.name, i, node.maxIterations);
      if (limit) return failed(toErrorInfo(limit, node.name));
      const out = await this.pipeline(node.body, current, [...path, i]);
      if (out.kind !== "ok") return out;
      current = out.value;
    }
    if (!(await this.mark(node, path, "completed", data, { output: current })))
      return this.stopped();
    return ok(current);
  }

  /**
   * Runs `count` children with at most `limit` at once. With `failFast`, the first
   * failure aborts the running siblings (their ctx.signal fires) and starts no more.
   */
  private async fanOut(
    count: number,
    limit: number,
    failFast: boolean,
    run: (index: number, abort: AbortSignal) => Promise<Outcome>,
  ): Promise<{ outcomes: (Outcome | undefined)[]; firstFailure: Outcome | null }> {
    const outcomes: (Outcome | undefined)[] = new Array(count);
    const abort = new AbortController();
    let next = 0;
    let firstFailure: Outcome | null = null;
    const lane = async (): Promise<void> => {
      while (next < count && !abort.signal.aborted) {
        const i = next++;
        const out = await run(i, abort.signal);
        outcomes[i] = out;
        if (out.kind === "failed" && failFast && !firstFailure) {
          firstFailure = out;
          abort.abort("fail_fast");
        }
        if (out.kind === "stopped") abort.abort("stopped");
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, lane));
    return { outcomes, firstFailure };
  }

  /**
   * Joins a fan-out: a fail_fast failure is recorded on the block and fails it; else the
   * children's outcomes combine (see {@link settle}).
   */
  private async join(
    node: ParallelNode | ForEachNode,
    path: NodePath,
    data: unknown,
    outcomes: (Outcome | undefined)[],
    firstFailure: Outcome | null,
  ): Promise<Outcome | ItemResult[]> {
    if (firstFailure?.kind === "failed") {
      if (!(await this.mark(node, path, "failed", data, { error: firstFailure.error })))
        return this.stopped();
      return firstFailure;
    }
    return this.settle(outcomes);
  }

  /** Combines children outcomes: stopped wins, then blocked (earliest), else results. */
  private settle(outcomes: (Outcome | undefined)[]): Outcome | ItemResult[] {
    const blocked: Extract<Outcome, { kind: "blocked" }>[] = [];
    const results: ItemResult[] = [];
    for (const out of outcomes) {
      if (!out) continue;
      if (out.kind === "stopped") return out;
      if (out.kind === "blocked") blocked.push(out);
      else if (out.kind === "ok") results.push({ ok: true, value: out.value });
      else results.push({ ok: false, error: out.error });
    }
    if (blocked.length === 0) return results;
    return {
      kind: "blocked",
      until: blocked.map((b) => b.until).reduce(earliest),
      waiting: blocked.some((b) => b.waiting),
    };
  }

  private async finishBlock(
    node: ParallelNode | ForEachNode,
    path: NodePath,
    data: unknown,
    results: unknown,
    into: ((data: any, results: any) => unknown) | undefined,
  ): Promise<Outcome> {
    let value: unknown;
    if (into) {
      const r = await guard(node.name, () => into(data, results));
      if (!r.ok) {
        if (!(await this.mark(node, path, "failed", data, { error: r.error })))
          return this.stopped();
        return failed(r.error);
      }
      value = r.value;
    } else value = mergeResults(data, results);
    if (!(await this.mark(node, path, "completed", data, { output: value }))) return this.stopped();
    return ok(value);
  }

  private async parallel(node: ParallelNode, data: unknown, path: NodePath): Promise<Outcome> {
    const h = this.scope.journal.at(path);
    if (h.completed) return ok(h.completed.output);
    const failFast = (node.options.onError ?? "fail_fast") === "fail_fast";
    const { outcomes, firstFailure } = await this.fanOut(
      node.children.length,
      node.options.maxConcurrency ?? node.children.length,
      failFast,
      (i, abort) => {
        const child = node.children[i]!;
        return runLeaf(this.scope, {
          name: child.name,
          type: "step",
          path: [...path, child.name],
          fn: child.fn,
          data: roundTrip(data), // children are isolated: each gets its own copy
          retry: child.options.retry,
          timeout: child.options.timeout,
          backoff: "inline",
          progress: false,
          abort,
        });
      },
    );
    const settled = await this.join(node, path, data, outcomes, firstFailure);
    if (!Array.isArray(settled)) return settled;
    const results: Record<string, ItemResult> = {};
    node.children.forEach((child, i) => (results[resultKey(child)] = settled[i]!));
    return this.finishBlock(node, path, data, results, node.options.into);
  }

  private async forEach(node: ForEachNode, data: unknown, path: NodePath): Promise<Outcome> {
    const h = this.scope.journal.at(path);
    if (h.completed) return ok(h.completed.output);
    let items: unknown[];
    if (h.first) items = h.first.input as unknown[];
    else {
      const r = await guard(node.name, () => node.items(data));
      if (!r.ok) return failed(r.error);
      if (!Array.isArray(r.value)) {
        const error = toErrorInfo(
          new TypeError(`forEach "${node.name}": items must return an array`),
          node.name,
        );
        return failed(error);
      }
      items = r.value;
      if (!(await this.mark(node, path, "running", items, {}))) return this.stopped();
    }
    const failFast = (node.options.onError ?? "fail_fast") === "fail_fast";
    const { outcomes, firstFailure } = await this.fanOut(
      items.length,
      node.options.concurrency ?? 1,
      failFast,
      (i, abort) =>
        runLeaf(this.scope, {
          name: node.name,
          type: "step",
          path: [...path, i],
          fn: node.fn,
          data: items[i],
          retry: node.options.retry,
          timeout: node.options.timeout,
          backoff: "inline",
          progress: false,
          ctxExtra: { index: i },
          abort,
        }),
    );
    const settled = await this.join(node, path, data, outcomes, firstFailure);
    if (!Array.isArray(settled)) return settled;
    return this.finishBlock(node, path, data, settled, node.options.into);
  }
}
