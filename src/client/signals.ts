/**
 * Signals into running executions: `sendEvent`, `provideInput`, and the listings of
 * what executions wait for.
 * @module
 */
import type { FormField, InputChoice, InputType } from "../core/context.js";
import { InvalidStateError, NotFoundError, ValidationError } from "../core/errors.js";
import { decode, encodeJson } from "../core/serialize.js";
import { TERMINAL_STATUSES } from "../core/types.js";
import { WaitQueries, type WaitRow } from "../store/index.js";
import { DurableControl } from "./control.js";
import { checkInputResponse } from "./input-validation.js";

/** A request for human input. */
export interface PendingInput {
  id: string;
  workflowId: string;
  name: string;
  stepName: string;
  type: InputType;
  prompt: string | null;
  metadata: unknown;
  fields: FormField[] | null;
  choices: InputChoice[] | null;
  status: "pending" | "completed" | "timeout" | "cancelled";
  response: unknown;
  timeoutAt: Date | null;
  createdAt: Date;
  completedAt: Date | null;
}

/** A wait for an event; one per awaited event name. */
export interface PendingEvent {
  id: string;
  workflowId: string;
  event: string;
  stepName: string;
  status: "pending" | "received" | "timeout" | "cancelled";
  timeoutAt: Date | null;
  createdAt: Date;
}

function toPendingInput(w: WaitRow): PendingInput {
  const r = w.request ?? {};
  return {
    id: String(w.id),
    workflowId: w.execution_id,
    name: w.name,
    stepName: w.step_name,
    type: (r.type as InputType) ?? "free_text",
    prompt: (r.prompt as string | null) ?? null,
    metadata: r.metadata == null ? null : decode(r.metadata),
    fields: (r.fields as FormField[] | null) ?? null,
    choices: (r.choices as InputChoice[] | null) ?? null,
    status: w.status,
    response: w.status === "completed" && w.result != null ? decode(w.result) : null,
    timeoutAt: w.timeout_at,
    createdAt: w.created_at,
    completedAt: w.completed_at,
  };
}

function toPendingEvents(w: WaitRow): PendingEvent[] {
  const names = w.names ?? [w.name];
  const got = (n: string): boolean => {
    if (w.status !== "completed" && w.kind !== "all") return false;
    if (w.kind === "all") return n in ((w.result as object | null) ?? {});
    return w.kind === "event" || (w.result as { event?: string } | null)?.event === n;
  };
  return names.map((event) => ({
    id: `${w.id}:${event}`,
    workflowId: w.execution_id,
    event,
    stepName: w.step_name,
    status: got(event)
      ? "received"
      : w.status === "pending" || w.status === "completed"
        ? w.status === "completed"
          ? "cancelled"
          : "pending"
        : w.status,
    timeoutAt: w.timeout_at,
    createdAt: w.created_at,
  }));
}

const checkLimit = (limit: unknown): number => {
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 1000)
    throw new ValidationError("limit must be an integer from 1 to 1000");
  return limit as number;
};

/** Signal methods of the engine object. */
export class DurableSignals extends DurableControl {
  private waitQueries(): WaitQueries {
    return new WaitQueries(this.driver, this.options.prefix);
  }

  /**
   * Sends an event to an execution. A wait for it gets the payload; an event sent
   * before anyone waits is kept and consumed by the first later wait of that name.
   * Unknown execution: `NotFoundError`; terminal execution: `InvalidStateError`.
   */
  async sendEvent(id: string, event: string, payload?: unknown): Promise<void> {
    this.assertOpen();
    if (typeof event !== "string" || event.length === 0 || event.length > 200)
      throw new ValidationError("event name must be a non-empty string of at most 200 characters");
    const encoded = encodeJson(payload, `payload of event "${event}"`);
    const out = await this.waitQueries().sendEvent(
      String(id),
      event,
      encoded,
      new Date(this.now()),
      TERMINAL_STATUSES,
    );
    if (!out) throw new NotFoundError(`No execution with id "${id}"`);
    if (!out.delivered)
      throw new InvalidStateError(
        `Cannot send event "${event}" to execution ${id}: it has ended (status ${out.status})`,
      );
  }

  /**
   * Answers a pending input request. Validated against the request (choices, form
   * fields, approval values): a bad answer is a `ValidationError` and consumes
   * nothing. Answered at most once, even by concurrent callers: the others get
   * `InvalidStateError`.
   */
  async provideInput(id: string, name: string, data: unknown): Promise<void> {
    this.assertOpen();
    const store = this.waitQueries();
    const found = await store.pendingInput(String(id), String(name));
    if (!found) throw new NotFoundError(`No execution with id "${id}"`);
    if (!found.wait)
      throw new InvalidStateError(
        `Execution ${id} (status ${found.status}) has no pending input request "${name}"`,
      );
    const request = toPendingInput(found.wait);
    const response = checkInputResponse(request, data);
    const encoded = encodeJson(response, `input "${name}"`);
    if (!(await store.answerInput(found.wait.id, encoded, new Date(this.now()))))
      throw new InvalidStateError(`Input "${name}" of execution ${id} was already answered`);
    if (this.events.has("input.provided")) {
      const exec = await this.executions.get(String(id));
      this.events.emit({
        type: "input.provided",
        executionId: String(id),
        workflow: exec?.workflow ?? "",
        at: new Date(this.now()),
        step: request.stepName,
        output: response,
      });
    }
  }

  /** Input requests (default: pending ones), newest first. */
  async listPendingInputs(
    options: {
      workflowId?: string;
      status?: PendingInput["status"] | PendingInput["status"][];
      timeoutBefore?: Date;
      limit?: number;
    } = {},
  ): Promise<PendingInput[]> {
    this.assertOpen();
    const rows = await this.waitQueries().list({
      kinds: ["input"],
      workflowId: options.workflowId,
      status: [options.status ?? "pending"].flat(),
      timeoutBefore: options.timeoutBefore,
      limit: checkLimit(options.limit ?? 50),
    });
    return rows.map(toPendingInput);
  }

  /** Event waits (default: pending ones), newest first, one entry per awaited name. */
  async listPendingEvents(
    options: {
      workflowId?: string;
      event?: string;
      status?: PendingEvent["status"] | PendingEvent["status"][];
      limit?: number;
    } = {},
  ): Promise<PendingEvent[]> {
    this.assertOpen();
    const wanted = new Set([options.status ?? "pending"].flat());
    const limit = checkLimit(options.limit ?? 50);
    // Which wait rows can hold entries of the wanted statuses (a waitForAll that is still
    // pending holds received names too; a completed waitForAny, cancelled ones).
    const rowStatuses = new Set<string>();
    for (const st of wanted) {
      if (st === "pending") rowStatuses.add("pending");
      if (st === "received") rowStatuses.add("completed").add("pending");
      if (st === "timeout") rowStatuses.add("timeout");
      if (st === "cancelled") rowStatuses.add("cancelled").add("completed");
    }
    const rows = await this.waitQueries().list({
      kinds: ["event", "any", "all"],
      workflowId: options.workflowId,
      name: options.event,
      status: [...rowStatuses],
      limit: Math.min(1000, limit * 4),
    });
    return rows
      .flatMap(toPendingEvents)
      .filter(
        (e) => wanted.has(e.status) && (options.event === undefined || e.event === options.event),
      )
      .slice(0, limit);
  }
}
