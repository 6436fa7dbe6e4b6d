/**
 * Runs one claimed execution, node by node, checkpointing each step in one round
 * trip, until it ends, waits out a retry backoff, or is stopped.
 * @module
 */
import {
  InvalidStateError,
  RecoveryLimitError,
  WorkflowTimeoutError,
  toErrorInfo,
  type ErrorInfo,
} from "../core/errors.js";
import { decode, encodeJson } from "../core/serialize.js";
import type { Clock, ExecutionStatus, Logger } from "../core/types.js";
import type { Node, WorkflowDefinition } from "../dsl/nodes.js";
import { advance, nodeAt, workflowDeadline } from "../engine/plan.js";
import { decideFailure, resolveRetry } from "../engine/retry.js";
import { atNode, readState, type ExecState } from "../engine/state.js";
import { Notice } from "../store/store-base.js";
import type {
  ClaimedRow,
  ExecutionWrite,
  StepWrite,
  WorkerQueries,
} from "../store/worker-queries.js";
import { runAttempt, type AbortReason, type AttemptResult } from "./attempt.js";
import type { LifecycleEmitter, LifecycleEventName } from "./events.js";
import type { CaptureLogsOptions } from "./logs.js";

/** What a runner needs from its worker. */
export interface RunnerDeps {
  store: WorkerQueries;
  clock: Clock;
  logger: Logger;
  events: LifecycleEmitter;
  capture: Required<CaptureLogsOptions> | false;
  random: () => number;
  /** Short id of this engine instance, carried in notifications. */
  origin: string;
  /** True once the engine is closing: stop at the next step boundary. */
  closing: () => boolean;
  /** Ask the worker to claim again at this time (a retry falls due). */
  wakeAt: (at: number) => void;
}

/** How a run ended, from the worker's point of view. */
export type RunOutcome = "finished" | "suspended" | "released" | "lost";

const LEASE_EXPIRED: Omit<ErrorInfo, "step"> = {
  type: "LeaseExpired",
  message: "the worker running this attempt stopped renewing its lease (crash or partition)",
};

/** Runs one claimed execution. */
export class ExecutionRun {
  readonly id: string;
  readonly token: number;
  /** Aborted with an {@link AbortReason} when the run must stop from outside. */
  readonly stop = new AbortController();
  private state: ExecState;
  private data: unknown;
  private readonly input: unknown;
  private readonly startedAt: number;

  constructor(
    private readonly row: ClaimedRow,
    private readonly def: WorkflowDefinition,
    private readonly deps: RunnerDeps,
  ) {
    this.id = row.id;
    this.token = row.lease_token;
    this.state = readState(row.state);
    this.data = decode(row.context);
    this.input = decode(row.input);
    this.startedAt = row.started_at.getTime();
  }

  /** Stops the run from outside (cancel, lost lease). */
  abort(reason: AbortReason): void {
    if (!this.stop.signal.aborted) this.stop.abort(reason);
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private emit(
    type: LifecycleEventName,
    extra: Partial<Parameters<LifecycleEmitter["emit"]>[0]> = {},
  ) {
    if (!this.deps.events.has(type)) return;
    this.deps.events.emit({
      type,
      executionId: this.id,
      workflow: this.def.name,
      at: new Date(this.now()),
      ...extra,
    });
  }

  private write(exec: Omit<ExecutionWrite, "now" | "state">, step?: StepWrite, notify?: string) {
    return this.deps.store.checkpoint(
      this.id,
      this.token,
      { ...exec, now: new Date(this.now()), state: JSON.stringify(this.state) },
      step,
      notify,
    );
  }

  private stepRecord(node: Node, attempt: number, r: AttemptResult): StepWrite {
    return {
      name: node.name,
      type: node.kind === "decision" ? "decision" : "step",
      path: JSON.stringify([node.name]),
      attempt,
      status: r.ok ? "completed" : "failed",
      input: encodeJson(this.data),
      output: r.ok ? r.encoded : null,
      error: r.ok ? null : JSON.stringify(r.error),
      startedAt: new Date(r.startedAt),
      completedAt: new Date(r.completedAt),
      durationMs: r.completedAt - r.startedAt,
      logs: r.logs,
    };
  }

  /** Ends the execution for good (completed or failed). */
  private async finish(
    status: ExecutionStatus,
    fields: { output?: string; error?: ErrorInfo },
    step?: StepWrite,
  ): Promise<RunOutcome> {
    const ok = await this.write(
      {
        status,
        output: fields.output ?? null,
        error: fields.error ? JSON.stringify(fields.error) : null,
        completedAt: new Date(this.now()),
        runAt: null,
        release: true,
      },
      step,
      Notice.done(status, this.deps.origin, this.def.name, this.id),
    );
    if (!ok) return this.lost(step);
    if (status === "completed")
      this.emit("workflow.completed", {
        output: fields.output === undefined ? undefined : this.data,
      });
    else this.emit("workflow.failed", { error: fields.error ?? null });
    return "finished";
  }

  /**
   * Our lease is gone: cancelled, or taken over. Nothing more may be written to the
   * execution; a step that ran under a cancel is still recorded, as cancelled.
   */
  private async lost(step?: StepWrite): Promise<RunOutcome> {
    if (step) await this.deps.store.recordCancelledStep(this.id, { ...step, status: "cancelled" });
    return "lost";
  }

  /** A crash cut the previous owner's attempt short: record it, count it. */
  private async recover(node: Node): Promise<RunOutcome | null> {
    const attempt = this.state.attempt + 1;
    this.state = { ...this.state, attempt, recoveries: this.state.recoveries + 1 };
    const at = new Date(this.now());
    const step: StepWrite = {
      name: node.name,
      type: node.kind === "decision" ? "decision" : "step",
      path: JSON.stringify([node.name]),
      attempt,
      status: "failed",
      input: encodeJson(this.data),
      output: null,
      error: JSON.stringify({ ...LEASE_EXPIRED, step: node.name }),
      startedAt: this.row.prev_updated_at,
      completedAt: at,
      durationMs: at.getTime() - this.row.prev_updated_at.getTime(),
      logs: null,
    };
    const max = this.def.options.maxRecoveries ?? 5;
    if (this.state.recoveries > max) {
      const err = new RecoveryLimitError(
        `Step "${node.name}" was interrupted ${this.state.recoveries} times (maxRecoveries ${max})`,
      );
      return this.finish("failed", { error: toErrorInfo(err, node.name) }, step);
    }
    const ok = await this.write({}, step);
    return ok ? null : this.lost();
  }

  /** Runs until the execution ends, suspends, is released or is lost. */
  async run(): Promise<RunOutcome> {
    const first = nodeAt(this.def, this.state.cursor);
    if (this.row.prev_owner !== null && first) {
      const out = await this.recover(first);
      if (out) return out;
    }
    const fresh =
      this.row.prev_owner === null && this.state.attempt === 0 && this.state.cursor[0] === 0;
    this.emit(fresh ? "workflow.started" : "workflow.resumed");
    const deadline = workflowDeadline(this.def, this.startedAt);
    for (;;) {
      if (this.stop.signal.aborted) return "lost";
      if (this.deps.closing()) {
        const ok = await this.write({ runAt: new Date(this.now()), release: true });
        return ok ? "released" : this.lost();
      }
      const node = nodeAt(this.def, this.state.cursor);
      if (!node) return this.finish("completed", { output: encodeJson(this.data) });
      if (deadline !== null && this.now() >= deadline) {
        const err = new WorkflowTimeoutError(this.def.name, this.def.options.timeout ?? 0);
        return this.finish("failed", { error: toErrorInfo(err, node.name) });
      }
      if (node.kind !== "step" && node.kind !== "decision") {
        const err = new InvalidStateError(
          `Node kind "${node.kind}" is not supported by this version`,
        );
        return this.finish("failed", { error: toErrorInfo(err, node.name) });
      }
      const outcome = await this.runStep(node, deadline);
      if (outcome) return outcome;
    }
  }

  /** Runs one attempt of a step and checkpoints it. Returns an outcome when the run ends. */
  private async runStep(
    node: Extract<Node, { kind: "step" | "decision" }>,
    deadline: number | null,
  ): Promise<RunOutcome | null> {
    const attempt = this.state.attempt + 1;
    this.emit("step.started", { step: node.name, attempt });
    const r = await runAttempt({
      fn: node.fn,
      data: this.data,
      executionId: this.id,
      workflow: this.def.name,
      stepName: node.name,
      attempt,
      workflowInput: this.input,
      timeout: node.options.timeout,
      deadline,
      workflowTimeout: this.def.options.timeout,
      capture: this.deps.capture,
      now: () => this.now(),
      external: this.stop.signal,
    });
    if (!r.ok && r.aborted) return this.onAborted(node, attempt, r);
    const record = this.stepRecord(node, attempt, r);
    if (r.ok) {
      const next = advance(this.def, this.state.cursor, this.data, r.value);
      if (next.kind === "error") {
        this.state = { ...this.state, attempt };
        this.emit("step.completed", { step: node.name, attempt });
        return this.finish("failed", { error: toErrorInfo(next.error, node.name) }, record);
      }
      if (next.kind === "done") {
        this.state = { ...this.state, attempt };
        this.data = next.output;
        const output =
          next.output === r.value || r.value === undefined ? r.encoded : encodeJson(next.output);
        this.emit("step.completed", { step: node.name, attempt });
        return this.finish("completed", { output }, record);
      }
      const context =
        next.data === r.value || r.value === undefined ? r.encoded : encodeJson(next.data);
      this.state = atNode(next.cursor);
      const ok = await this.write(
        { context, currentStep: nodeAt(this.def, next.cursor)?.name ?? null },
        record,
      );
      if (!ok) return this.lost(record);
      this.data = next.data;
      this.emit("step.completed", { step: node.name, attempt });
      return null;
    }
    this.emit("step.failed", { step: node.name, attempt, error: r.error });
    const failures = this.state.failures + 1;
    this.state = { ...this.state, attempt, failures };
    if (r.workflowTimeout) return this.finish("failed", { error: r.error }, record);
    const decision = decideFailure(
      resolveRetry(node.options.retry),
      failures,
      r.retryable,
      this.deps.random,
    );
    if (decision.kind === "fail") return this.finish("failed", { error: r.error }, record);
    const at = this.now() + decision.delay;
    // Durable backoff: give the slot and the lease up, and come back when it is due.
    const ok = await this.write({ runAt: new Date(at), release: true }, record);
    if (!ok) return this.lost(record);
    this.deps.wakeAt(at);
    return "suspended";
  }

  /** The attempt was stopped from outside: record it where that makes sense. */
  private async onAborted(node: Node, attempt: number, r: AttemptResult): Promise<RunOutcome> {
    if (!r.ok && r.aborted === "closing") {
      // A graceful close interrupts nothing: hand the step back without counting an attempt.
      const ok = await this.write({ runAt: new Date(this.now()), release: true });
      return ok ? "released" : "lost";
    }
    return this.lost(
      r.ok || r.aborted !== "cancelled" ? undefined : this.stepRecord(node, attempt, r),
    );
  }
}
