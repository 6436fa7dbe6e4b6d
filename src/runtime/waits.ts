/**
 * The wait and orchestration primitives of a step's ctx. Each call is
 * the next wait of its step (its position is its identity): the first time it opens a
 * wait record; when the step runs again after a resume, the same call finds the
 * record and returns its recorded answer. A call that cannot be answered yet
 * suspends the attempt, and with it the execution, durably.
 * @module
 */
import { createHash } from "node:crypto";
import type {
  CallChildOptions,
  InputOptions,
  StartChildOptions,
  StepContext,
  WaitOptions,
  WorkflowRef,
} from "../core/context.js";
import {
  ChildWorkflowError,
  NonDeterminismError,
  ValidationError,
  WaitTimeoutError,
  type ErrorInfo,
} from "../core/errors.js";
import { decode, encode, encodeJson } from "../core/serialize.js";
import { isTerminal, type ExecutionStatus, type NodePath } from "../core/types.js";
import type { WorkflowDefinition } from "../dsl/nodes.js";
import { validateInput } from "../dsl/validate.js";
import { pathKey } from "../engine/paths.js";
import type { ExecutionQueries } from "../store/execution-queries.js";
import type { NewWait, WaitKind, WaitQueries, WaitRow } from "../store/wait-queries.js";
import type { RunScope } from "./run-scope.js";

/** What the wait primitives need from the run. */
export interface WaitHost extends RunScope {
  readonly token: number;
  readonly waitStore: WaitQueries;
  readonly executionStore: ExecutionQueries;
  readonly workflows: ReadonlyMap<string, WorkflowDefinition>;
  readonly queue: string;
}

/** The wait methods of a ctx. */
export type WaitMethods = Pick<
  StepContext,
  | "sleep"
  | "sleepUntil"
  | "waitForEvent"
  | "waitForAny"
  | "waitForAll"
  | "waitForInput"
  | "waitForApproval"
  | "waitForChoice"
  | "waitForText"
  | "waitForForm"
  | "callWorkflow"
  | "startWorkflow"
>;

/** A wait whose timeout passed, resolved with a `timeoutValue` when one was given. */
const hasTimeoutValue = (o: object | undefined): o is { timeoutValue: unknown } =>
  o !== undefined && "timeoutValue" in o;

function checkDuration(what: string, ms: unknown): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0)
    throw new ValidationError(`${what} must be a number of ms >= 0 (got ${String(ms)})`);
  return ms;
}

function checkNames(names: unknown): string[] {
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== "string" || !n))
    throw new ValidationError("event names must be a non-empty array of non-empty strings");
  return names as string[];
}

/** A deterministic child id: the same parent, step and ref always name the same child. */
export function childIdFor(parentId: string, stepPath: NodePath, ref: string): string {
  const h = createHash("sha256")
    .update(`${parentId}\u0000${pathKey(stepPath)}\u0000${ref}`)
    .digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Builds the wait methods of one attempt of the step at `stepPath`. */
export function waitMethods(
  host: WaitHost,
  stepPath: NodePath,
  stepName: string,
  suspend: (until: number | null) => Promise<never>,
): WaitMethods {
  let seq = 0;
  let childSeq = 0;
  const now = () => host.clock.now();
  const lost = () => suspend(null); // lease gone: stop here, nothing more is written

  async function open(w: Omit<NewWait, "stepPath" | "stepName" | "seq" | "now">) {
    const position = ++seq;
    const row = await host.waitStore.open(host.executionId, host.token, {
      ...w,
      stepPath: JSON.stringify(stepPath),
      stepName,
      seq: position,
      now: new Date(now()),
    });
    if (!row) return lost();
    const names = (a: string[] | null | undefined) => JSON.stringify(a ?? null);
    if (row.kind !== w.kind || row.name !== w.name || names(row.names) !== names(w.names)) {
      throw new NonDeterminismError(
        `Step "${stepName}", wait #${position}: the recorded wait is ${row.kind} "${row.name}", ` +
          `but the step now calls ${w.kind} "${w.name}" (waits must be called in the same order on every run)`,
      );
    }
    return row;
  }

  async function settle(row: WaitRow, status: "completed" | "timeout", result: unknown) {
    const ok = await host.waitStore.settle(
      host.executionId,
      host.token,
      row.id,
      status,
      result === undefined ? null : JSON.stringify(result),
      new Date(now()),
    );
    if (!ok) await lost();
  }

  const due = (d: Date | null) => d !== null && d.getTime() <= now();
  const timeoutAt = (o: WaitOptions | undefined) =>
    o?.timeout === undefined ? null : new Date(now() + checkDuration("timeout", o.timeout));

  async function onTimeout<T>(
    row: WaitRow,
    options: WaitOptions<T> | undefined,
    what: string,
  ): Promise<T> {
    if (row.status === "pending") await settle(row, "timeout", null);
    if (hasTimeoutValue(options)) return options.timeoutValue as T;
    throw new WaitTimeoutError(`${what} timed out`);
  }

  async function sleepUntil(at: number): Promise<void> {
    const row = await open({ kind: "sleep", name: "sleep", wakeAt: new Date(at) });
    if (row.status === "completed") return;
    if (due(row.wake_at)) return settle(row, "completed", null);
    return suspend(row.wake_at!.getTime());
  }

  async function events(
    kind: Extract<WaitKind, "event" | "any" | "all">,
    list: string[],
    options: WaitOptions | undefined,
  ): Promise<unknown> {
    const row = await open({
      kind,
      name: list.join(","),
      names: list,
      timeoutAt: timeoutAt(options),
    });
    const what = `Waiting for ${kind === "all" ? "all of " : ""}${list.map((n) => `"${n}"`).join(", ")}`;
    const answer = (result: unknown) => {
      if (kind === "all") {
        const map = result as Record<string, unknown>;
        return Object.fromEntries(list.map((n) => [n, decode(map[n])]));
      }
      const r = result as { event: string; payload: unknown };
      return kind === "event" ? decode(r.payload) : { event: r.event, payload: decode(r.payload) };
    };
    if (row.status === "completed") return answer(row.result);
    if (row.status === "timeout") return onTimeout(row, options, what);
    let result = row.result;
    for (;;) {
      const taken = await host.waitStore.takeEvent(
        host.executionId,
        host.token,
        row.id,
        list,
        kind === "all" ? "all" : "one",
        new Date(now()),
      );
      if (!taken) break;
      result = taken.result;
      if (kind !== "all") return answer(result);
    }
    if (kind === "all" && list.every((n) => n in ((result as object | null) ?? {}))) {
      await settle(row, "completed", result);
      return answer(result);
    }
    if (due(row.timeout_at)) return onTimeout(row, options, what);
    return suspend(row.timeout_at?.getTime() ?? null);
  }

  async function input<T>(name: string, options: InputOptions<T> = {}): Promise<T> {
    const request = checkInputRequest(name, options);
    const row = await open({
      kind: "input",
      name,
      request: JSON.stringify(request),
      timeoutAt: timeoutAt(options),
    });
    if (row.status === "completed") return decode(row.result) as T;
    if ((row as { inserted?: boolean }).inserted)
      host.emit("input.requested", { step: stepName, data: { name, ...request } });
    const timedOut = row.status === "timeout" || due(row.timeout_at);
    if (!timedOut) return suspend(row.timeout_at?.getTime() ?? null);
    if (options.onTimeout === "fail") {
      if (row.status === "pending") await settle(row, "timeout", null);
      throw Object.assign(new WaitTimeoutError(`Input "${name}" was not provided in time`), {
        failWorkflow: true,
      });
    }
    return onTimeout(row, options, `Input "${name}"`);
  }

  async function start(
    workflow: WorkflowRef,
    data: unknown,
    options: StartChildOptions = {},
    beforeInsert?: (id: string, ref: string) => Promise<unknown>,
  ): Promise<{ id: string; ref: string }> {
    const name = typeof workflow === "string" ? workflow : workflow?.name;
    if (typeof name !== "string" || !name)
      throw new ValidationError("callWorkflow/startWorkflow need a workflow");
    const def =
      typeof workflow === "object" && "definition" in workflow
        ? (workflow as { definition: WorkflowDefinition }).definition
        : host.workflows.get(name);
    const ref = options.ref ?? `${name}#${++childSeq}`;
    const id = childIdFor(host.executionId, stepPath, ref);
    const value = def ? await validateInput(def, data) : data;
    // callWorkflow opens (and checks) its wait first, so a changed call never starts a child.
    await beforeInsert?.(id, ref);
    const t = now();
    await host.executionStore.insert({
      id,
      workflow: name,
      queue: options.queue ?? def?.options.queue ?? "default",
      priority: options.priority ?? def?.options.priority ?? 0,
      input: encodeJson(value, `input of child workflow "${name}"`),
      idempotencyKey: null,
      scheduledAt: null,
      runAt: new Date(t),
      now: new Date(t),
      parentId: host.executionId,
      parentStep: stepName,
    });
    return { id, ref };
  }

  async function call<O>(
    workflow: WorkflowRef,
    data: unknown,
    options: CallChildOptions<O> = {},
  ): Promise<O> {
    let row!: WaitRow;
    const { id } = await start(workflow, data, options, async (childId, ref) => {
      row = await open({ kind: "child", name: ref, childId, timeoutAt: timeoutAt(options) });
    });
    const what = `Child workflow ${id}`;
    const answer = (r: { status: ExecutionStatus; output: unknown; error: unknown }): O => {
      if (r.status === "completed") return decode(r.output) as O;
      throw new ChildWorkflowError(id, r.status, (r.error as ErrorInfo | null) ?? null);
    };
    if (row.status === "completed") return answer(row.result as never);
    if (row.status === "timeout") return onTimeout(row, options, what);
    const child = await host.waitStore.child(id);
    if (child && isTerminal(child.status)) {
      await settle(row, "completed", child);
      return answer(child);
    }
    if (due(row.timeout_at)) {
      await host.executionStore.cancel(
        id,
        { type: "cancelled", message: "timeout" },
        new Date(now()),
        "",
        false,
      );
      return onTimeout(row, options, what);
    }
    return suspend(row.timeout_at?.getTime() ?? null);
  }

  return {
    sleep: (ms) => sleepUntil(now() + checkDuration("sleep", ms)),
    sleepUntil: (date) => {
      if (!(date instanceof Date) || Number.isNaN(date.getTime()))
        throw new ValidationError("sleepUntil needs a valid Date");
      return sleepUntil(date.getTime());
    },
    waitForEvent: (name, options) => events("event", checkNames([name]), options) as never,
    waitForAny: (names, options) => events("any", checkNames(names), options) as never,
    waitForAll: (names, options) => events("all", checkNames(names), options) as never,
    waitForInput: (name, options) => input(name, options) as never,
    waitForApproval: (name, options) => input(name, { ...options, type: "approval" }),
    waitForChoice: (name, options) => input(name, { ...options, type: "single_choice" }),
    waitForText: (name, options) => input(name, { ...options, type: "free_text" }),
    waitForForm: (name, options) => input(name, { ...options, type: "form" }),
    callWorkflow: (workflow, data, options) => call(workflow, data, options),
    startWorkflow: async (workflow, data, options) => (await start(workflow, data, options)).id,
  };
}

const INPUT_TYPES = ["approval", "single_choice", "multi_choice", "free_text", "form"];
const FIELD_TYPES = [
  "text",
  "textarea",
  "number",
  "boolean",
  "select",
  "multiselect",
  "date",
  "email",
];

/** Validates an input request; returns what is stored of it. */
function checkInputRequest(name: string, o: InputOptions): Record<string, unknown> {
  if (typeof name !== "string" || !name)
    throw new ValidationError("an input needs a non-empty name");
  const type = o.type ?? "free_text";
  if (!INPUT_TYPES.includes(type))
    throw new ValidationError(`Input "${name}": unknown type "${type}"`);
  if (
    (type === "single_choice" || type === "multi_choice") &&
    (!Array.isArray(o.choices) || !o.choices.length)
  )
    throw new ValidationError(`Input "${name}": a ${type} input needs choices`);
  if (type === "form") {
    if (!Array.isArray(o.fields) || !o.fields.length)
      throw new ValidationError(`Input "${name}": a form needs fields`);
    for (const f of o.fields)
      if (!f?.name || !FIELD_TYPES.includes(f.type))
        throw new ValidationError(
          `Input "${name}": field ${JSON.stringify(f?.name)} has an unknown type`,
        );
  }
  if (o.onTimeout !== undefined && o.onTimeout !== "resume" && o.onTimeout !== "fail")
    throw new ValidationError(`Input "${name}": onTimeout must be "resume" or "fail"`);
  return {
    type,
    prompt: o.prompt ?? null,
    metadata: o.metadata === undefined ? null : encode(o.metadata, `metadata of input "${name}"`),
    fields: o.fields ?? null,
    choices: o.choices ?? null,
    onTimeout: o.onTimeout ?? "resume",
  };
}
