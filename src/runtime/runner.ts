/**
 * Runs one claimed execution: replays its journal, interprets its node tree,
 * checkpoints every record in one round trip, and ends it (completed, failed,
 * compensated), suspends it (a durable retry backoff), or hands it back.
 * @module
 */
import { SerializationError, toErrorInfo, type ErrorInfo } from "../core/errors.js";
import { decode, encodeJson } from "../core/serialize.js";
import type {
  Clock,
  CompensationResult,
  ExecutionStatus,
  Logger,
  NodePath,
} from "../core/types.js";
import type { WorkflowDefinition } from "../dsl/nodes.js";
import { Journal, type JournalRecord } from "../engine/journal.js";
import type { Outcome, StopReason } from "../engine/outcome.js";
import { readState, type ExecState } from "../engine/state.js";
import { Notice } from "../store/store-base.js";
import type {
  ClaimedRow,
  ExecutionWrite,
  StepWrite,
  WorkerQueries,
} from "../store/worker-queries.js";
import type { ExecutionQueries } from "../store/execution-queries.js";
import type { WaitQueries } from "../store/wait-queries.js";
import { waitMethods, type WaitHost, type WaitMethods } from "./waits.js";
import { hasCompensations, runCompensations } from "./compensate.js";
import type { LifecycleEmitter, LifecycleEvent, LifecycleEventName } from "./events.js";
import { Interpreter } from "./interpreter.js";
import type { CaptureLogsOptions } from "./logs.js";
import type { ProgressFields, RecordSpec, RunScope } from "./run-scope.js";

/** What a runner needs from its worker. */
export interface RunnerDeps {
  store: WorkerQueries;
  waitStore: WaitQueries;
  executionStore: ExecutionQueries;
  workflows: ReadonlyMap<string, WorkflowDefinition>;
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

/** Runs one claimed execution. */
export class ExecutionRun implements RunScope, WaitHost {
  readonly executionId: string;
  readonly token: number;
  readonly journal: Journal;
  workflowInput: unknown;
  readonly deadline: number | null;
  recovering: boolean;
  private readonly controller = new AbortController();
  /** The last node's record, written with the execution's next write (see `record`). */
  private pending: { step: StepWrite; progress: ProgressFields; rec: JournalRecord } | null = null;
  private readonly state: ExecState;

  constructor(
    private readonly row: ClaimedRow,
    readonly def: WorkflowDefinition,
    private readonly deps: RunnerDeps,
  ) {
    this.executionId = row.id;
    this.token = row.lease_token;
    this.state = readState(row.state);
    this.journal = new Journal([], this.state.floor);
    this.workflowInput = undefined;
    this.recovering = row.prev_owner !== null;
    const timeout = def.options.timeout;
    this.deadline = timeout === undefined ? null : row.started_at.getTime() + timeout;
  }

  get id(): string {
    return this.executionId;
  }
  get waitStore(): WaitQueries {
    return this.deps.waitStore;
  }
  get executionStore(): ExecutionQueries {
    return this.deps.executionStore;
  }
  get workflows(): ReadonlyMap<string, WorkflowDefinition> {
    return this.deps.workflows;
  }
  get queue(): string {
    return this.row.queue;
  }
  waitsFor(
    path: NodePath,
    stepName: string,
    suspend: (until: number | null) => Promise<never>,
  ): WaitMethods {
    return waitMethods(this, path, stepName, suspend);
  }
  get stop(): AbortSignal {
    return this.controller.signal;
  }
  get clock(): Clock {
    return this.deps.clock;
  }
  get logger(): Logger {
    return this.deps.logger;
  }
  get capture(): Required<CaptureLogsOptions> | false {
    return this.deps.capture;
  }
  get random(): () => number {
    return this.deps.random;
  }
  closing(): boolean {
    return this.deps.closing();
  }
  stopReason(): StopReason {
    const r: unknown = this.controller.signal.reason;
    return r === "cancelled" || r === "closing" ? r : "lease_lost";
  }

  /** Stops the run from outside (cancel, lost lease, close timeout). */
  abort(reason: StopReason): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  emit(type: LifecycleEventName, extra: Partial<LifecycleEvent> = {}): void {
    if (!this.deps.events.has(type)) return;
    this.deps.events.emit({
      type,
      executionId: this.executionId,
      workflow: this.def.name,
      at: new Date(this.deps.clock.now()),
      ...extra,
    });
  }

  private async write(
    exec: Omit<ExecutionWrite, "now" | "state">,
    step?: StepWrite,
    notify?: string,
  ): Promise<number | null> {
    const pending = step ? null : this.pending;
    this.pending = step ? this.pending : null;
    const id = await this.deps.store.checkpoint(
      this.executionId,
      this.token,
      {
        ...pending?.progress,
        ...exec,
        now: new Date(this.deps.clock.now()),
        state: JSON.stringify(this.state),
      },
      step ?? pending?.step,
      notify,
    );
    if (pending && id !== null) pending.rec.id = id;
    return id;
  }

  async record(spec: RecordSpec, progress: ProgressFields = {}, final = false): Promise<boolean> {
    const output =
      spec.outputJson !== undefined
        ? spec.outputJson
        : spec.output === undefined
          ? null
          : encodeJson(spec.output, `output of "${spec.name}"`);
    const step = {
      name: spec.name,
      type: spec.type,
      path: JSON.stringify(spec.path),
      attempt: spec.attempt,
      status: spec.status,
      input: spec.input === undefined ? null : encodeJson(spec.input, `input of "${spec.name}"`),
      output,
      error: spec.error ? JSON.stringify(spec.error) : null,
      startedAt: spec.startedAt == null ? null : new Date(spec.startedAt),
      completedAt: spec.completedAt == null ? null : new Date(spec.completedAt),
      durationMs:
        spec.startedAt != null && spec.completedAt != null
          ? spec.completedAt - spec.startedAt
          : null,
      logs: spec.logs ?? null,
      compensationFor: spec.compensationFor ?? null,
    };
    if (spec.status === "cancelled" && this.stop.aborted && this.stopReason() === "cancelled") {
      // The execution was cancelled: our lease is gone, so this record goes in unfenced.
      await this.deps.store.recordCancelledStep(this.executionId, step);
      return false;
    }
    const id = final
      ? Number.MAX_SAFE_INTEGER // written with the next execution write; id set then
      : progress.context === undefined && progress.currentStep === undefined
        ? await this.deps.store.recordStep(this.executionId, this.token, step)
        : await this.write(progress, step);
    if (id === null) {
      this.abort("lease_lost");
      return false;
    }
    const isRecovery = spec.error?.type === "LeaseExpired";
    // Once this run has written anything of its own, later leaves were not in flight
    // when the previous owner died.
    if (!isRecovery) this.recovering = false;
    const rec: JournalRecord = {
      id,
      path: spec.path,
      type: spec.type,
      status: spec.status,
      attempt: spec.attempt,
      input: spec.input,
      output:
        spec.output === undefined && output !== null ? decode(JSON.parse(output)) : spec.output,
      error: spec.error ?? null,
      compensationFor: spec.compensationFor ?? null,
    };
    this.journal.add(rec);
    if (final) this.pending = { step, progress, rec };
    return true;
  }

  private async loadJournal(): Promise<void> {
    for (const r of await this.deps.store.journal(this.executionId)) {
      this.journal.add({
        id: r.id,
        path: r.path,
        type: r.type,
        status: r.status,
        attempt: r.attempt,
        input: r.input === null ? undefined : decode(r.input),
        output: r.output === null ? undefined : decode(r.output),
        error: r.error as ErrorInfo | null,
        compensationFor: r.compensation_for,
      });
    }
  }

  /** Runs until the execution ends, suspends, is released or is lost. */
  async run(): Promise<RunOutcome> {
    try {
      this.workflowInput = decode(this.row.input);
      if (!this.row.fresh) await this.loadJournal();
      if (this.row.status === "compensating")
        return await this.compensate("compensating", this.row.error as ErrorInfo);
      if (this.row.status === "cancelled" && this.state.compensate)
        return await this.compensate("cancelled", this.row.error as ErrorInfo);
      this.emit(this.row.fresh ? "workflow.started" : "workflow.resumed");
      const out = await new Interpreter(this).pipeline(
        this.def.nodes,
        this.workflowInput,
        [],
        true,
      );
      return await this.conclude(out);
    } catch (err) {
      if (this.stop.aborted && this.stopReason() !== "closing") return "lost";
      // A value that cannot be stored (e.g. a parallel `into` result) fails the workflow.
      if (err instanceof SerializationError) return await this.fail(toErrorInfo(err));
      // Anything else is the database or the engine: not the workflow's fault. Hand the
      // execution back to be retried shortly, counting nothing; if even that fails, the
      // lease expires and another worker recovers it.
      this.deps.logger.error(`execution ${this.executionId}: checkpoint failed, handing it back`, {
        err,
      });
      const retryAt = this.deps.clock.now() + 1000;
      const ok = await this.write({ runAt: new Date(retryAt), release: true }).catch(() => null);
      if (ok === null) return "lost";
      this.deps.wakeAt(retryAt);
      return "released";
    }
  }

  private async conclude(out: Outcome): Promise<RunOutcome> {
    switch (out.kind) {
      case "ok":
        return this.finish("completed", { output: encodeJson(out.value, "workflow output") });
      case "failed":
        return this.fail(out.error);
      case "blocked": {
        // A workflow deadline that falls inside the wait ends it early.
        const due = Math.min(out.until ?? Infinity, this.deadline ?? Infinity);
        const until = Number.isFinite(due) ? new Date(due) : null;
        const ok = out.waiting
          ? await this.write({
              release: true,
              suspend: { until, seenSignal: this.row.signal_seq },
            })
          : await this.write({ runAt: until, release: true });
        if (ok === null) return "lost";
        if (out.waiting) this.emit("workflow.waiting");
        if (until) this.deps.wakeAt(until.getTime());
        return "suspended";
      }
      case "stopped":
        return this.stopped(out.reason);
    }
  }

  private async stopped(reason: StopReason): Promise<RunOutcome> {
    if (reason !== "closing") return "lost";
    // A graceful close interrupts nothing: hand the execution back, due at once, and
    // tell the other workers.
    const ok = await this.write(
      { runAt: new Date(this.deps.clock.now()), release: true },
      undefined,
      Notice.work(this.row.queue),
    );
    return ok === null ? "lost" : "released";
  }

  /** The workflow failed: compensate if any completed step asks for it, else end failed. */
  private async fail(error: ErrorInfo): Promise<RunOutcome> {
    if (!hasCompensations(this)) return this.finish("failed", { error });
    const ok = await this.write({ status: "compensating", error: JSON.stringify(error) });
    if (ok === null) return "lost";
    return this.compensate("compensating", error);
  }

  private async compensate(from: ExecutionStatus, error: ErrorInfo | null): Promise<RunOutcome> {
    const out = await runCompensations(this);
    if ("stopped" in out) return this.conclude(out.stopped);
    const allOk = out.results.every((r) => r.status === "completed");
    const status: ExecutionStatus =
      from === "cancelled" ? "cancelled" : allOk ? "compensated" : "compensation_failed";
    delete this.state.compensate;
    return this.finish(status, { error: error ?? undefined, compensation: out.results });
  }

  /** Ends the execution for good. */
  private async finish(
    status: ExecutionStatus,
    fields: { output?: string; error?: ErrorInfo; compensation?: CompensationResult[] },
  ): Promise<RunOutcome> {
    const now = new Date(this.deps.clock.now());
    const write: Omit<ExecutionWrite, "now" | "state"> = {
      status,
      runAt: null,
      release: true,
    };
    if (status !== "cancelled") {
      write.output = fields.output ?? null;
      write.error = fields.error ? JSON.stringify(fields.error) : null;
      write.completedAt = now;
    }
    if (fields.compensation) {
      write.compensationResults = JSON.stringify(fields.compensation);
      write.compensatedAt = now;
    }
    const notify =
      status === "cancelled"
        ? undefined
        : Notice.done(status, this.deps.origin, this.def.name, this.executionId);
    if (this.row.parent_id !== null && status !== "cancelled") write.wakeParent = true;
    write.cancelWaits = true;
    const ok = await this.write(write, undefined, notify);
    if (ok === null) return "lost";
    if (status === "completed") this.emit("workflow.completed");
    else if (status === "failed") this.emit("workflow.failed", { error: fields.error ?? null });
    else if (status === "compensated" || status === "compensation_failed")
      this.emit("workflow.compensated", { error: fields.error ?? null });
    return "finished";
  }
}
