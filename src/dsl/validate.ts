/**
 * Build-time validation of workflow definitions, and validation of a workflow's
 * input against its Standard Schema.
 * @module
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { DefinitionError, ValidationError, type ValidationIssue } from "../core/errors.js";
import type { CompensationDef, Node, WorkflowDefinition } from "./nodes.js";

/** Longest allowed workflow or node name. */
export const MAX_NAME_LENGTH = 200;
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

const show = (v: unknown): string =>
  typeof v === "string" ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v) : String(v);

const fail = (where: string, problem: string): never => {
  throw new DefinitionError(`${where}: ${problem}`);
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Why `name` is not a valid workflow/node name, or `undefined` when it is valid. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== "string") return `name must be a string (got ${typeof name})`;
  if (name === "") return "name must not be empty";
  if (name.length > MAX_NAME_LENGTH) {
    return `name ${show(name)} is longer than ${MAX_NAME_LENGTH} characters`;
  }
  if (!NAME_RE.test(name)) {
    return `name ${show(name)} may contain only letters, digits, "_", "-" and "."`;
  }
  return undefined;
}

/** Throws `DefinitionError` unless `name` is a valid workflow name. */
export function checkWorkflowName(name: unknown): void {
  const problem = nameProblem(name);
  if (problem) fail("Invalid workflow name", problem);
}

// ---- option specs: one checker per allowed key ----

/** Checks one present (not undefined) option value; `key` is its dotted label. */
type Check = (where: string, key: string, v: unknown) => void;
type Spec = Record<string, Check>;

/** A checker failing with "`key` must be `expected`" unless `ok(value)`. */
const check =
  (ok: (v: any) => boolean, expected: string): Check =>
  (where, key, v) => {
    if (!ok(v)) fail(where, `${key} must be ${expected} (got ${show(v)})`);
  };
const int = (min: number, allowInfinity = false): Check =>
  check(
    (v) => (allowInfinity && v === Infinity) || (Number.isInteger(v) && v >= min),
    min === -Infinity ? "an integer" : `an integer >= ${min}`,
  );
const ms = (zero: boolean): Check =>
  check(
    (v) => typeof v === "number" && Number.isFinite(v) && (zero ? v >= 0 : v > 0),
    `a ${zero ? "non-negative" : "positive"} finite number of ms`,
  );
const oneOf = (...allowed: string[]): Check =>
  check((v) => allowed.includes(v), `one of ${allowed.map(show).join(", ")}`);
const str = (nonEmpty = true): Check =>
  check(
    (v) => typeof v === "string" && (!nonEmpty || v.trim() !== ""),
    nonEmpty ? "a non-empty string" : "a string",
  );
const fn = check((v) => typeof v === "function", "a function");
const any: Check = () => {};
const obj =
  (spec: Spec): Check =>
  (where, key, v) =>
    checkOptions(where, v, spec, `${key}.`);

/** Checks an option object against `spec`: unknown keys and each present value. */
function checkOptions(where: string, value: unknown, spec: Spec, prefix = ""): void {
  if (value === undefined) return;
  const what = prefix === "" ? "options" : prefix.slice(0, -1);
  if (!isObject(value)) return fail(where, `${what} must be an object`);
  for (const [key, v] of Object.entries(value)) {
    const check = spec[key];
    if (check === undefined) {
      const allowed = Object.keys(spec).join(", ");
      const of = prefix === "" ? "" : `${prefix.slice(0, -1)} `;
      fail(where, `unknown ${of}option ${show(key)} (allowed: ${allowed})`);
    } else if (v !== undefined) check(where, `${prefix}${key}`, v);
  }
}

const RETRY: Spec = {
  maxAttempts: int(1),
  backoff: oneOf("exponential", "linear", "constant"),
  baseDelay: ms(true),
  maxDelay: ms(true),
  jitter: check((v) => typeof v === "boolean", "a boolean"),
};
const STEP: Spec = { retry: obj(RETRY), timeout: ms(false), compensate: str() };
const targets = check(
  (v) => Array.isArray(v) && v.every((t) => typeof t === "string" && t !== ""),
  "an array of node names",
);
const onError = oneOf("fail_fast", "complete_all");
const SPECS = {
  step: STEP,
  decision: { ...STEP, targets },
  child: { ...STEP, returns: str() },
  parallel: { onError, maxConcurrency: int(1, true), into: fn },
  forEach: { concurrency: int(1, true), onError, retry: obj(RETRY), timeout: ms(false), into: fn },
  compensation: { retry: obj(RETRY), timeout: ms(false) },
  workflow: {
    timeout: ms(false),
    queue: str(),
    priority: int(-Infinity),
    input: check(
      (v) => typeof v?.["~standard"]?.validate === "function",
      "a Standard Schema validator (zod, valibot, arktype...)",
    ),
    schedule: obj({
      cron: str(),
      timezone: str(),
      input: any,
      name: str(),
      catchUp: oneOf("none", "one", "all"),
      overlap: oneOf("allow", "skip"),
    }),
    maxRecoveries: int(0),
    description: str(false),
  },
} satisfies Record<string, Spec>;

/** Checks the workflow options (`timeout`, `queue`, `input` schema, `schedule`...). */
export function checkWorkflowOptions(workflow: string, options: unknown): void {
  const where = `Workflow ${show(workflow)}`;
  checkOptions(where, options, SPECS.workflow);
  const schedule = (options as { schedule?: { cron?: unknown } } | undefined)?.schedule;
  if (schedule !== undefined && schedule.cron === undefined) {
    fail(where, "schedule.cron must be a cron expression");
  }
}

/** `into` with an explicit `fail_fast` is contradictory: `into` implies `complete_all`. */
function checkInto(where: string, options: { into?: unknown; onError?: unknown }): void {
  if (options.into !== undefined && options.onError === "fail_fast") {
    fail(where, `onError "fail_fast" cannot be combined with into (into implies "complete_all")`);
  }
}

const label = (node: { kind: unknown; name: unknown }): string =>
  `${String(node.kind)} ${show(node.name)}`;

/** Checks one node and its sub-pipelines (names, functions, options); not uniqueness. */
export function checkNode(workflow: string, node: Node): void {
  const base = `Workflow ${show(workflow)}`;
  if (!isObject(node)) return fail(base, `node must be an object (got ${show(node)})`);
  const problem = nameProblem(node.name);
  if (problem) fail(base, `invalid ${String(node.kind)} name: ${problem}`);
  const where = `${base}, ${label(node)}`;
  const pipeline = (what: string, nodes: unknown): void => {
    if (!Array.isArray(nodes) || nodes.length === 0) fail(where, `${what} has no node`);
    for (const child of nodes as Node[]) checkNode(workflow, child);
  };
  switch (node.kind) {
    case "step":
    case "decision":
      fn(where, "fn", node.fn);
      return checkOptions(where, node.options, SPECS[node.kind]);
    case "branch":
      fn(where, "selector", node.selector);
      if (!isObject(node.cases) || Object.keys(node.cases).length === 0) {
        fail(where, "a branch needs at least one case");
      }
      for (const [key, nodes] of Object.entries(node.cases)) pipeline(`case ${show(key)}`, nodes);
      return;
    case "parallel": {
      checkOptions(where, node.options, SPECS.parallel);
      checkInto(where, node.options);
      if (!Array.isArray(node.children) || node.children.length === 0) {
        fail(where, "a parallel block needs at least one step");
      }
      const keys = new Map<string, string>();
      for (const child of node.children) {
        const childProblem = isObject(child) ? nameProblem(child.name) : "child must be an object";
        if (childProblem) fail(where, `invalid child step name: ${childProblem}`);
        const childWhere = `${where}, step ${show(child.name)}`;
        if (child.kind !== "step")
          fail(childWhere, `kind must be "step" (got ${show(child.kind)})`);
        fn(childWhere, "fn", child.fn);
        checkOptions(childWhere, child.options, SPECS.child);
        const key = child.options?.returns ?? child.name;
        const other = keys.get(key);
        if (other !== undefined && other !== child.name) {
          fail(
            where,
            `steps ${show(other)} and ${show(child.name)} both return under key ${show(key)}`,
          );
        }
        keys.set(key, child.name);
      }
      return;
    }
    case "forEach":
      fn(where, "items", node.items);
      fn(where, "fn", node.fn);
      checkOptions(where, node.options, SPECS.forEach);
      return checkInto(where, node.options);
    case "loop":
      fn(where, "while", node.while);
      int(1)(where, "maxIterations", node.maxIterations);
      return pipeline("the loop body", node.body);
    default:
      fail(base, `unknown node kind ${show((node as { kind: unknown }).kind)} for ${label(node)}`);
  }
}

/** Checks a compensation's name, function and options. */
export function checkCompensation(workflow: string, comp: CompensationDef): void {
  const problem = nameProblem(comp.name);
  if (problem) fail(`Workflow ${show(workflow)}`, `invalid compensation name: ${problem}`);
  const where = `Workflow ${show(workflow)}, compensation ${show(comp.name)}`;
  fn(where, "fn", comp.fn);
  checkOptions(where, comp.options, SPECS.compensation);
}

type Visit = (node: Node, siblings: readonly Node[], index: number) => void;

/** Calls `visit` for every node of the tree (not parallel children), parents first. */
function walk(nodes: readonly Node[], visit: Visit): void {
  nodes.forEach((node, i) => {
    visit(node, nodes, i);
    if (node.kind === "branch") for (const c of Object.values(node.cases)) walk(c, visit);
    if (node.kind === "loop") walk(node.body, visit);
  });
}

/** Throws on a name used twice anywhere (nodes, branch cases, parallel children, loops, compensations). */
export function checkUniqueNames(
  workflow: string,
  nodes: readonly Node[],
  compensations: Iterable<string>,
): void {
  const seen = new Map<string, string>();
  const add = (name: string, what: string): void => {
    const first = seen.get(name);
    if (first !== undefined) {
      fail(
        `Workflow ${show(workflow)}`,
        `duplicate name ${show(name)} (${first} and ${what}); ` +
          "node and compensation names must be unique across the workflow",
      );
    }
    seen.set(name, what);
  };
  walk(nodes, (node) => {
    add(node.name, label(node));
    if (node.kind !== "parallel") return;
    for (const c of node.children)
      add(c.name, `step ${show(c.name)} of parallel ${show(node.name)}`);
  });
  for (const name of compensations) add(name, `compensation ${show(name)}`);
}

/** Checks that `compensate` options name declared compensations and decision targets are later siblings. */
export function checkReferences(
  workflow: string,
  nodes: readonly Node[],
  compensations: ReadonlyMap<string, unknown>,
): void {
  const base = `Workflow ${show(workflow)}`;
  const checkComp = (what: string, name: string | undefined): void => {
    if (name === undefined || compensations.has(name)) return;
    fail(
      base,
      `${what} references compensation ${show(name)}, which is not declared ` +
        `(declare it with .compensate(${show(name)}, fn))`,
    );
  };
  walk(nodes, (node, siblings, i) => {
    if (node.kind === "step" || node.kind === "decision") {
      checkComp(label(node), node.options.compensate);
    }
    if (node.kind === "parallel") {
      for (const c of node.children) checkComp(`step ${show(c.name)}`, c.options.compensate);
    }
    if (node.kind !== "decision") return;
    for (const target of node.options.targets ?? []) {
      const at = siblings.findIndex((s) => s.name === target);
      if (at > i) continue;
      const why =
        at === i ? "itself" : at >= 0 ? "an earlier sibling" : "not a node at the same level";
      fail(
        `${base}, ${label(node)}`,
        `target ${show(target)} is ${why}; targets must be later siblings`,
      );
    }
  });
}

/**
 * Validates a whole definition: names, functions, options, uniqueness and references.
 * Throws `DefinitionError` naming the problem and the offending name(s).
 */
export function validateDefinition(def: WorkflowDefinition): void {
  checkWorkflowName(def.name);
  checkWorkflowOptions(def.name, def.options);
  const where = `Workflow ${show(def.name)}`;
  if (!Array.isArray(def.nodes)) fail(where, "nodes must be an array");
  for (const node of def.nodes) checkNode(def.name, node);
  for (const [key, comp] of def.compensations) {
    checkCompensation(def.name, comp);
    if (key !== comp.name) {
      fail(where, `compensation ${show(comp.name)} is registered under ${show(key)}`);
    }
  }
  checkUniqueNames(def.name, def.nodes, def.compensations.keys());
  checkReferences(def.name, def.nodes, def.compensations);
}

const issuePath = (issue: StandardSchemaV1.Issue): (string | number)[] | undefined =>
  issue.path?.map((seg) => {
    const key = typeof seg === "object" && seg !== null ? seg.key : seg;
    return typeof key === "number" ? key : String(key);
  });

/**
 * Validates `input` with the workflow's `input` Standard Schema (when it has one) and
 * returns the validated, possibly transformed, value. Rejects with `ValidationError`
 * naming the workflow and listing the issues.
 *
 * @example
 * ```ts
 * const input = await validateInput(wf.definition, rawInput);
 * ```
 */
export async function validateInput(
  def: Pick<WorkflowDefinition, "name" | "options">,
  input: unknown,
): Promise<unknown> {
  const schema = def.options.input;
  if (schema === undefined) return input;
  const result = await schema["~standard"].validate(input);
  if (result.issues === undefined) return result.value;
  const issues: ValidationIssue[] = result.issues.map((issue) => {
    const path = issuePath(issue);
    return path && path.length > 0 ? { message: issue.message, path } : { message: issue.message };
  });
  const detail = issues
    .map((i) => (i.path ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
  throw new ValidationError(`Invalid input for workflow ${show(def.name)}: ${detail}`, issues);
}
