/**
 * Leaves of the tree: user functions run as attempts (steps, decisions, parallel
 * children, forEach items, compensations), each attempt recorded.
 * @module
 */
import {
  RecoveryLimitError,
  WorkflowTimeoutError,
  toErrorInfo,
  type ErrorInfo,
} from "../core/errors.js";
import { decode, encodeJson } from "../core/serialize.js";
import type { NodePath, StepType } from "../core/types.js";
import type { RetryPolicy, StepFn } from "../dsl/nodes.js";
import { failed, ok, type Outcome } from "../engine/outcome.js";
import { decideFailure, resolveRetry } from "../engine/retry.js";
import { runAttempt } from "./attempt.js";
import type { RunScope } from "./run-scope.js";

/** One leaf to run. */
export interface LeafSpec {
  name: string;
  type: StepType;
  path: NodePath;
  fn: StepFn;
  /** First argument of `fn`. */
  data: unknown;
  retry: RetryPolicy | undefined;
  timeout: number | undefined;
  /**
   * `"suspend"`: a retry backoff suspends the execution durably (the slot is freed).
   * `"inline"`: the leaf waits the backoff out itself (inside parallel blocks and
   * forEach, where siblings keep the execution busy anyway).
   */
  backoff: "suspend" | "inline";
  /** Update the execution's context/current step when this leaf completes. */
  progress: boolean;
  /** The workflow's last node: its completion is written with the execution's end. */
  final?: boolean;
  /** Extra fields on ctx (forEach `index`). */
  ctxExtra?: Record<string, unknown>;
  compensationFor?: string;
  /** Aborts the attempt from inside the run (a fail_fast sibling failed). */
  abort?: AbortSignal;
  /** Not bound by the workflow deadline (compensations run after a timeout). */
  noDeadline?: boolean;
}

const LEASE_EXPIRED = {
  type: "LeaseExpired",
  message: "the worker running this attempt stopped renewing its lease (crash or partition)",
};

/** Whether a leaf whose attempts so far are in `h` has failed for good. */
export function exhausted(
  failures: number,
  lastError: ErrorInfo | null,
  retry: RetryPolicy | undefined,
): boolean {
  if (failures === 0) return false;
  const type = lastError?.type;
  if (type === "NonRetryableError" || type === "SerializationError") return true;
  return failures >= resolveRetry(retry).maxAttempts;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Runs a leaf until it completes, fails for good, blocks on a backoff, or is stopped. */
export async function runLeaf(scope: RunScope, leaf: LeafSpec): Promise<Outcome> {
  const maxRecoveries = scope.def.options.maxRecoveries ?? 5;
  let recovered = false;
  for (;;) {
    const h = scope.journal.at(leaf.path);
    if (h.completed) return ok(h.completed.output);
    if (exhausted(h.failures, h.last?.error ?? null, leaf.retry))
      return failed(h.last?.error ?? toErrorInfo(new Error("failed"), leaf.name));
    if (scope.stop.aborted) return { kind: "stopped", reason: scope.stopReason() };
    if (scope.closing()) return { kind: "stopped", reason: "closing" };
    const base = { name: leaf.name, type: leaf.type, path: leaf.path, input: leaf.data };
    if (scope.recovering && !recovered) {
      recovered = true;
      // The previous owner died while this leaf was in flight: record the lost attempt.
      const at = scope.clock.now();
      const error = { ...LEASE_EXPIRED, step: leaf.name };
      if (
        !(await scope.record({
          ...base,
          // A step cut short while resuming after a wait was still its waiting attempt.
          attempt: h.last?.status === "waiting" ? h.last.attempt : h.attempts + 1,
          status: "failed",
          error,
          completedAt: at,
          compensationFor: leaf.compensationFor ?? null,
        }))
      )
        return { kind: "stopped", reason: scope.stopReason() };
      const recoveries = scope.journal.at(leaf.path).recoveries;
      if (recoveries > maxRecoveries) {
        const err = new RecoveryLimitError(
          `Step "${leaf.name}" was interrupted ${recoveries} times (maxRecoveries ${maxRecoveries})`,
        );
        return failed(toErrorInfo(err, leaf.name));
      }
      continue;
    }
    const deadline = leaf.noDeadline ? null : scope.deadline;
    if (deadline !== null && scope.clock.now() >= deadline) {
      return failed(
        toErrorInfo(
          new WorkflowTimeoutError(scope.def.name, scope.def.options.timeout ?? 0),
          leaf.name,
        ),
      );
    }
    // A step resumed after a wait goes on as the same attempt.
    const resumed = h.last?.status === "waiting";
    const attempt = resumed ? h.last!.attempt : h.attempts + 1;
    scope.emit("step.started", { step: leaf.name, attempt });
    const r = await runAttempt({
      fn: leaf.fn,
      data: leaf.data,
      executionId: scope.executionId,
      workflow: scope.def.name,
      stepName: leaf.name,
      attempt,
      workflowInput: scope.workflowInput,
      timeout: leaf.timeout,
      deadline,
      workflowTimeout: scope.def.options.timeout,
      capture: scope.capture,
      now: () => scope.clock.now(),
      external: leaf.abort ? AbortSignal.any([scope.stop, leaf.abort]) : scope.stop,
      ctxExtra: leaf.ctxExtra,
      waits: (suspend) => scope.waitsFor(leaf.path, leaf.name, suspend),
    });
    const timing = { startedAt: r.startedAt, completedAt: r.completedAt, logs: r.logs };
    if (!r.ok && r.suspended) {
      if (scope.stop.aborted) return { kind: "stopped", reason: scope.stopReason() };
      // Suspended on a wait: record the attempt as waiting; it goes on after the wake-up.
      const written = await scope.record({ ...base, ...timing, attempt, status: "waiting" });
      if (!written) return { kind: "stopped", reason: scope.stopReason() };
      scope.emit("step.waiting", { step: leaf.name, attempt });
      return { kind: "blocked", until: r.suspended.until, waiting: true };
    }
    if (!r.ok && r.aborted) {
      const reason = scope.stop.aborted ? scope.stopReason() : null;
      // Cancelled, cut short by a close, or aborted by a failing fail_fast sibling: the
      // attempt is recorded as cancelled, which uses up no retry budget.
      const error =
        reason === "closing"
          ? {
              type: "ShutdownInterrupted",
              message: "the engine closed before the attempt finished",
              step: leaf.name,
            }
          : r.error;
      if (reason !== "lease_lost")
        await scope.record({ ...base, ...timing, attempt, status: "cancelled", error });
      return reason ? { kind: "stopped", reason } : failed(r.error);
    }
    if (r.ok) {
      const data = r.value === undefined ? leaf.data : r.value;
      const progress = leaf.progress
        ? {
            context: r.value === undefined || data === r.value ? r.encoded : encodeJson(data),
            currentStep: leaf.name,
          }
        : undefined;
      const written = await scope.record(
        {
          ...base,
          ...timing,
          attempt,
          status: "completed",
          outputJson: r.encoded,
          output: r.value,
          compensationFor: leaf.compensationFor ?? null,
        },
        progress,
        leaf.final === true,
      );
      if (!written) return { kind: "stopped", reason: scope.stopReason() };
      scope.emit("step.completed", { step: leaf.name, attempt });
      // Hand on exactly what a replay would: the value as stored (a step that returned
      // nothing passed its input on), not the live object.
      return ok(decode(JSON.parse(r.encoded)));
    }
    const written = await scope.record({
      ...base,
      ...timing,
      attempt,
      status: "failed",
      error: r.error,
      compensationFor: leaf.compensationFor ?? null,
    });
    if (!written) return { kind: "stopped", reason: scope.stopReason() };
    scope.emit("step.failed", { step: leaf.name, attempt, error: r.error });
    if (r.workflowTimeout) return failed(r.error);
    const failures = scope.journal.at(leaf.path).failures;
    const decision = decideFailure(resolveRetry(leaf.retry), failures, r.retryable, scope.random);
    if (decision.kind === "fail") return failed(r.error);
    if (leaf.backoff === "suspend" && decision.delay > 0)
      return { kind: "blocked", until: scope.clock.now() + decision.delay, waiting: false };
    await sleep(decision.delay, scope.stop);
  }
}
