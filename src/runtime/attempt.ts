/**
 * One attempt of a step: builds its context, enforces its timeout and the
 * workflow deadline, captures its logs and serializes its result.
 * @module
 */
import type { StepContext } from "../core/context.js";
import {
  NonDeterminismError,
  NonRetryableError,
  SerializationError,
  StepTimeoutError,
  WorkflowTimeoutError,
  type ErrorInfo,
  toErrorInfo,
} from "../core/errors.js";
import { encodeJson } from "../core/serialize.js";
import type { StepFn } from "../dsl/nodes.js";
import type { WaitMethods } from "./waits.js";
import { LogSink, stepLogger, withLogSink, type CaptureLogsOptions } from "./logs.js";

/** Why an attempt was stopped from outside. */
export type AbortReason = "cancelled" | "lease_lost" | "closing";

/** Everything one attempt needs. */
export interface AttemptSpec {
  fn: StepFn;
  data: unknown;
  executionId: string;
  workflow: string;
  stepName: string;
  attempt: number;
  workflowInput: unknown;
  /** Per-attempt timeout in ms. */
  timeout: number | undefined;
  /** Workflow deadline in epoch ms. */
  deadline: number | null;
  workflowTimeout: number | undefined;
  capture: Required<CaptureLogsOptions> | false;
  now: () => number;
  /** Fires when the run is stopped from outside (cancel, lost lease). */
  external: AbortSignal;
  /** Extra fields on ctx (a forEach item's `index`). */
  ctxExtra?: Record<string, unknown> | undefined;
  /** Builds the wait primitives; `suspend` ends the attempt as suspended. */
  waits: (suspend: (until: number | null) => Promise<never>) => WaitMethods;
}

/** Outcome of an attempt. */
export type AttemptResult = {
  startedAt: number;
  completedAt: number;
  logs: string | null;
} & (
  | { ok: true; value: unknown; encoded: string }
  | {
      ok: false;
      error: ErrorInfo;
      /** False for NonRetryableError, SerializationError and workflow timeouts. */
      retryable: boolean;
      /** Set when the workflow deadline passed: the workflow fails, not just the step. */
      workflowTimeout?: boolean;
      /** Set when stopped from outside: nothing should be recorded as a normal failure. */
      aborted?: AbortReason;
      /** Set when a wait suspended the attempt: it goes on after the wake-up. */
      suspended?: { until: number | null };
    }
);

/** Runs one attempt. Never throws. */
export async function runAttempt(spec: AttemptSpec): Promise<AttemptResult> {
  const startedAt = spec.now();
  const sink = new LogSink(spec.capture, spec.now);
  const controller = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let settle: (r: AttemptResult) => void = () => undefined;
  const stopped = new Promise<AttemptResult>((resolve) => (settle = resolve));
  const fail = (
    err: unknown,
    extra: Partial<{
      workflowTimeout: boolean;
      aborted: AbortReason;
      suspended: { until: number | null };
    }>,
  ) => {
    if (!extra.suspended) controller.abort(err);
    settle({
      ok: false,
      error: toErrorInfo(err, spec.stepName),
      retryable: !extra.workflowTimeout && !extra.aborted && !extra.suspended,
      ...extra,
      startedAt,
      completedAt: spec.now(),
      logs: sink.toJson(),
    });
  };
  if (spec.timeout !== undefined)
    timers.push(
      setTimeout(
        () => fail(new StepTimeoutError(spec.stepName, spec.timeout ?? 0), {}),
        spec.timeout,
      ),
    );
  if (spec.deadline !== null)
    timers.push(
      setTimeout(
        () =>
          fail(new WorkflowTimeoutError(spec.workflow, spec.workflowTimeout ?? 0), {
            workflowTimeout: true,
          }),
        Math.max(0, spec.deadline - startedAt),
      ),
    );
  const onExternal = () => {
    const reason = (
      typeof spec.external.reason === "string" ? spec.external.reason : "cancelled"
    ) as AbortReason;
    fail(new Error(`step stopped: ${reason}`), { aborted: reason });
  };
  if (spec.external.aborted) onExternal();
  else spec.external.addEventListener("abort", onExternal, { once: true });

  const ctx: StepContext & Record<string, unknown> = {
    ...spec.ctxExtra,
    workflowId: spec.executionId,
    workflowName: spec.workflow,
    stepName: spec.stepName,
    attempt: spec.attempt,
    input: spec.workflowInput,
    signal: controller.signal,
    log: stepLogger(sink, `${spec.workflow}/${spec.stepName}`),
    ...spec.waits((until) => {
      fail(new Error("suspended"), { suspended: { until } });
      return new Promise<never>(() => undefined);
    }),
  };
  const run = withLogSink(sink, async (): Promise<AttemptResult> => {
    try {
      const value = await spec.fn(spec.data, ctx);
      const encoded = encodeJson(
        value === undefined ? spec.data : value,
        `output of step "${spec.stepName}"`,
      );
      return { ok: true, value, encoded, startedAt, completedAt: spec.now(), logs: sink.toJson() };
    } catch (err) {
      return {
        ok: false,
        error: toErrorInfo(err, spec.stepName),
        retryable: !(
          err instanceof NonRetryableError ||
          err instanceof SerializationError ||
          err instanceof NonDeterminismError ||
          (err as { failWorkflow?: boolean } | null)?.failWorkflow === true
        ),
        startedAt,
        completedAt: spec.now(),
        logs: sink.toJson(),
      };
    }
  });
  try {
    return await Promise.race([run, stopped]);
  } finally {
    for (const t of timers) clearTimeout(t);
    spec.external.removeEventListener("abort", onExternal);
  }
}
