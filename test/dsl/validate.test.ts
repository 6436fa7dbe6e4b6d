import { describe, expect, it } from "vitest";
import { DefinitionError } from "../../src/core/errors.js";
import {
  validateDefinition,
  workflow,
  type Node,
  type WorkflowDefinition,
} from "../../src/dsl/index.js";

const noop = (d: any): any => d;

/** Asserts that `fn` throws a DefinitionError whose message matches every pattern. */
function expectDefinitionError(fn: () => unknown, ...patterns: (string | RegExp)[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DefinitionError);
  const message = (caught as Error).message;
  for (const p of patterns) expect(message).toMatch(p);
}

describe("names", () => {
  it.each([
    ["", /must not be empty/],
    ["has space", /"has space" may contain only letters, digits/],
    ["naïve", /"naïve" may contain only/],
    ["x".repeat(201), /longer than 200 characters/],
  ])("rejects workflow name %j", (name, pattern) => {
    expectDefinitionError(() => workflow(name), "Invalid workflow name", pattern);
  });

  it("rejects a non-string workflow name", () => {
    expectDefinitionError(() => workflow(42 as unknown as string), /must be a string/);
  });

  it("accepts letters, digits, _, - and . up to 200 characters", () => {
    expect(() => workflow("a-b_c.D9").step("x".repeat(200), noop)).not.toThrow();
  });

  it.each([
    ["step", () => workflow("w").step("bad name", noop)],
    ["decision", () => workflow("w").decision("bad name", noop)],
    ["branch", () => workflow("w").branch("bad name", noop, { a: (b) => b.step("s", noop) })],
    ["parallel", () => workflow("w").parallel("bad name", (p) => p.step("s", noop))],
    ["forEach", () => workflow("w").forEach("bad name", () => [], noop)],
    [
      "loop",
      () => workflow("w").loop("bad name", { while: () => false }, (b) => b.step("s", noop)),
    ],
    ["compensation", () => workflow("w").compensate("bad name", noop)],
  ])("rejects an invalid %s name", (kind, build) => {
    expectDefinitionError(build, `Workflow "w"`, `invalid ${kind} name`, `"bad name"`);
  });

  it("rejects invalid names inside sub-pipelines and parallel blocks", () => {
    expectDefinitionError(
      () => workflow("w").branch("b", noop, { a: (b) => b.step("", noop) }),
      "invalid step name",
      "must not be empty",
    );
    expectDefinitionError(
      () => workflow("w").parallel("p", (p) => p.step("no/slash", noop)),
      "invalid child step name",
      `"no/slash"`,
    );
  });
});

describe("uniqueness", () => {
  const dup = (build: () => unknown, first: string, second: string) =>
    expectDefinitionError(build, `duplicate name "x"`, first, second);

  it("rejects duplicate top-level nodes", () => {
    dup(() => workflow("w").step("x", noop).step("x", noop), `step "x"`, `step "x"`);
  });

  it("rejects duplicates across branch cases and the top level", () => {
    dup(
      () =>
        workflow("w").branch("b", noop, {
          a: (b) => b.step("x", noop),
          c: (b) => b.step("x", noop),
        }),
      `step "x"`,
      `step "x"`,
    );
    dup(
      () =>
        workflow("w")
          .step("x", noop)
          .branch("b", noop, { a: (b) => b.decision("x", noop) }),
      `step "x"`,
      `decision "x"`,
    );
    dup(
      () => workflow("w").branch("x", noop, { a: (b) => b.step("x", noop) }),
      `branch "x"`,
      `step "x"`,
    );
  });

  it("rejects duplicates within a sub-pipeline", () => {
    dup(
      () =>
        workflow("w").loop("l", { while: noop as never }, (b) => b.step("x", noop).step("x", noop)),
      `step "x"`,
      `step "x"`,
    );
  });

  it("rejects duplicates across parallel children and loop bodies", () => {
    dup(
      () => workflow("w").parallel("p", (p) => p.step("x", noop).step("x", noop)),
      `step "x" of parallel "p"`,
      `step "x" of parallel "p"`,
    );
    dup(
      () =>
        workflow("w")
          .parallel("p", (p) => p.step("x", noop))
          .loop("l", { while: () => false }, (b) => b.step("x", noop)),
      `step "x" of parallel "p"`,
      `step "x"`,
    );
  });

  it("shares the name space with compensations, in either order", () => {
    dup(() => workflow("w").step("x", noop).compensate("x", noop), `step "x"`, `compensation "x"`);
    dup(() => workflow("w").compensate("x", noop).step("x", noop), `step "x"`, `compensation "x"`);
    dup(
      () => workflow("w").compensate("x", noop).compensate("x", noop),
      `compensation "x"`,
      `and compensation "x"`,
    );
  });
});

describe("references", () => {
  it("rejects a compensate option naming no compensation when the definition is read", () => {
    const wf = workflow("w").step("a", { compensate: "nope" }, noop);
    expectDefinitionError(() => wf.definition, `step "a"`, `compensation "nope"`, "not declared");
  });

  it("checks compensate references in nested nodes and parallel children", () => {
    const inBranch = workflow("w").branch("b", noop, {
      a: (b) => b.decision("d", noop, { compensate: "missing" }),
    });
    expectDefinitionError(() => inBranch.definition, `decision "d"`, `"missing"`);
    const inParallel = workflow("w").parallel("p", (p) =>
      p.step("c", { compensate: "gone" }, noop),
    );
    expectDefinitionError(() => inParallel.definition, `step "c"`, `"gone"`);
  });

  it("requires decision targets to be later siblings", () => {
    const base = workflow("w").step("before", noop);
    const self = base.decision("d", noop, { targets: ["d"] }).step("after", noop);
    expectDefinitionError(() => self.definition, `decision "d"`, `target "d" is itself`);
    const back = base.decision("d", noop, { targets: ["before"] });
    expectDefinitionError(() => back.definition, `target "before" is an earlier sibling`);
    const unknown = base.decision("d", noop, { targets: ["nowhere"] });
    expectDefinitionError(
      () => unknown.definition,
      `target "nowhere" is not a node at the same level`,
    );
    const nested = base
      .branch("b", noop, { a: (b) => b.decision("d", noop, { targets: ["after"] }) })
      .step("after", noop);
    expectDefinitionError(() => nested.definition, `"after" is not a node at the same level`);
    const ok = base
      .decision("d", noop, { targets: ["after", "end"] })
      .step("after", noop)
      .step("end", noop);
    expect(() => ok.definition).not.toThrow();
  });
});

describe("empty structures", () => {
  it("rejects an empty branch case map", () => {
    expectDefinitionError(
      () => workflow("w").branch("b", noop, {}),
      `branch "b"`,
      "at least one case",
    );
  });

  it("rejects a case builder that adds no node or returns something else", () => {
    expectDefinitionError(
      () => workflow("w").branch("b", noop, { a: (b) => b.step("s", noop), c: (b) => b }),
      `branch "b"`,
      `case "c" adds no node`,
    );
    expectDefinitionError(
      () => workflow("w").branch("b", noop, { a: () => undefined as never }),
      `case "a" must return the builder`,
    );
  });

  it("rejects an empty parallel block and an empty loop body", () => {
    expectDefinitionError(
      () => workflow("w").parallel("p", (p) => p),
      `parallel "p"`,
      "at least one step",
    );
    expectDefinitionError(
      () => workflow("w").loop("l", { while: () => true }, (b) => b),
      `loop "l"`,
      "body adds no node",
    );
  });
});

describe("functions", () => {
  const notFn = "nope" as never;
  it.each([
    ["step fn", () => workflow("w").step("s", {}, notFn), `step "s"`, "fn must be a function"],
    [
      "decision fn",
      () => workflow("w").decision("s", notFn),
      `decision "s"`,
      "fn must be a function",
    ],
    [
      "selector",
      () => workflow("w").branch("s", notFn, { a: (b) => b.step("x", noop) }),
      `branch "s"`,
      "selector",
    ],
    [
      "parallel child fn",
      () => workflow("w").parallel("p", (p) => p.step("c", {}, notFn)),
      `step "c"`,
      "fn",
    ],
    [
      "parallel block",
      () => workflow("w").parallel("p", notFn),
      `parallel "p"`,
      "block must be a function",
    ],
    [
      "forEach items",
      () => workflow("w").forEach("f", notFn, noop),
      `forEach "f"`,
      "items must be a function",
    ],
    [
      "forEach fn",
      () => workflow("w").forEach("f", () => [], notFn),
      `forEach "f"`,
      "fn must be a function",
    ],
    [
      "loop while",
      () => workflow("w").loop("l", { while: notFn }, (b) => b.step("x", noop)),
      `loop "l"`,
      "while",
    ],
    [
      "loop body",
      () => workflow("w").loop("l", { while: () => true }, notFn),
      `loop "l"`,
      "body must be a function",
    ],
    [
      "compensation fn",
      () => workflow("w").compensate("c", notFn),
      `compensation "c"`,
      "fn must be a function",
    ],
    [
      "into",
      () => workflow("w").forEach("f", () => [], noop, { into: notFn }),
      `forEach "f"`,
      "into must be a function",
    ],
  ])("rejects a non-function %s", (_what, build, who, problem) => {
    expectDefinitionError(build, who, problem);
  });
});

describe("option values", () => {
  const step = (options: object) => () => workflow("w").step("s", options as never, noop);
  it.each([
    [{ retry: { maxAttempts: 0 } }, "retry.maxAttempts must be an integer >= 1 (got 0)"],
    [{ retry: { maxAttempts: 1.5 } }, "retry.maxAttempts must be an integer >= 1 (got 1.5)"],
    [{ retry: { backoff: "quadratic" } }, `retry.backoff must be one of`],
    [{ retry: { baseDelay: -1 } }, "retry.baseDelay"],
    [{ retry: { maxDelay: NaN } }, "retry.maxDelay"],
    [{ retry: { jitter: "yes" } }, "retry.jitter must be a boolean"],
    [{ retry: { attempts: 3 } }, `unknown retry option "attempts"`],
    [{ timeout: -5 }, "timeout must be a positive finite number of ms (got -5)"],
    [{ timeout: NaN }, "timeout must be a positive"],
    [{ compensate: "" }, "compensate must be a non-empty string"],
    [{ retries: 3 }, `unknown option "retries"`],
  ])("rejects step options %j", (options, message) => {
    expectDefinitionError(step(options), `step "s"`, message);
  });

  it("rejects non-object options", () => {
    expectDefinitionError(step(5 as never), `step "s"`, "options must be an object");
  });

  it("rejects bad parallel, forEach and loop options", () => {
    const p = (o: object) => () => workflow("w").parallel("p", (b) => b.step("c", noop), o);
    expectDefinitionError(
      p({ maxConcurrency: 0 }),
      `parallel "p"`,
      "maxConcurrency must be an integer >= 1",
    );
    expectDefinitionError(p({ onError: "ignore" }), `parallel "p"`, "onError must be one of");
    expectDefinitionError(p({ onError: "fail_fast", into: noop }), `parallel "p"`, "into implies");
    const f = (o: object) => () => workflow("w").forEach("f", () => [], noop, o as never);
    expectDefinitionError(
      f({ concurrency: 0 }),
      `forEach "f"`,
      "concurrency must be an integer >= 1",
    );
    expectDefinitionError(f({ concurrency: 2.5 }), `forEach "f"`, "concurrency");
    expectDefinitionError(f({ onError: "skip" }), `forEach "f"`, "onError");
    expectDefinitionError(f({ retry: { maxAttempts: -1 } }), `forEach "f"`, "retry.maxAttempts");
    expectDefinitionError(f({ timeout: -1 }), `forEach "f"`, "timeout");
    const l = (o: object) => () =>
      workflow("w").loop("l", { while: () => true, ...o }, (b) => b.step("x", noop));
    expectDefinitionError(
      l({ maxIterations: 0 }),
      `loop "l"`,
      "maxIterations must be an integer >= 1 (got 0)",
    );
    expectDefinitionError(l({ until: noop }), `loop "l"`, `unknown option "until"`);
  });

  it("rejects bad parallel child options", () => {
    expectDefinitionError(
      () => workflow("w").parallel("p", (b) => b.step("c", { returns: "" }, noop)),
      `step "c"`,
      "returns must be a non-empty string",
    );
    expectDefinitionError(
      () => workflow("w").parallel("p", (b) => b.step("a", noop).step("c", { returns: "a" }, noop)),
      `parallel "p"`,
      `steps "a" and "c" both return under key "a"`,
    );
  });

  it("rejects bad decision targets and compensation options", () => {
    expectDefinitionError(
      () => workflow("w").decision("d", noop, { targets: "end" as never }),
      `decision "d"`,
      "targets must be an array",
    );
    expectDefinitionError(
      () => workflow("w").compensate("c", noop, { retry: { maxAttempts: 0 } }),
      `compensation "c"`,
      "retry.maxAttempts",
    );
  });

  it.each([
    [{ timeout: 0 }, "timeout must be a positive"],
    [{ queue: "" }, "queue must be a non-empty string"],
    [{ priority: 1.5 }, "priority must be an integer"],
    [{ maxRecoveries: -1 }, "maxRecoveries must be an integer >= 0"],
    [{ input: { parse: noop } }, "input must be a Standard Schema"],
    [{ schedule: { cron: "" } }, "schedule.cron"],
    [{ schedule: { cron: "* * * * *", overlap: "queue" } }, "schedule.overlap"],
    [{ timeuot: 5 }, `unknown option "timeuot"`],
  ])("rejects workflow options %j", (options, message) => {
    expectDefinitionError(() => workflow("w", options as never), `Workflow "w"`, message);
  });
});

describe("validateDefinition", () => {
  const def = (nodes: Node[], extra: Partial<WorkflowDefinition> = {}): WorkflowDefinition => ({
    name: "hand",
    options: {},
    nodes,
    compensations: new Map(),
    ...extra,
  });

  it("accepts a built definition and rejects hand-made invalid ones", () => {
    validateDefinition(workflow("w").step("a", noop).definition);
    expectDefinitionError(
      () =>
        validateDefinition(
          def([{ kind: "loop", name: "l", while: () => true, maxIterations: 1, body: [] }]),
        ),
      `loop "l"`,
      "body has no node",
    );
    expectDefinitionError(
      () =>
        validateDefinition(def([{ kind: "branch", name: "b", selector: noop, cases: { a: [] } }])),
      `case "a" has no node`,
    );
    expectDefinitionError(
      () => validateDefinition(def([{ kind: "parallel", name: "p", children: [], options: {} }])),
      "at least one step",
    );
    expectDefinitionError(
      () => validateDefinition(def([{ kind: "teleport", name: "t" } as never])),
      `unknown node kind "teleport"`,
    );
    const comp = { name: "c", fn: noop, options: {} };
    expectDefinitionError(
      () => validateDefinition(def([], { compensations: new Map([["other", comp]]) })),
      `compensation "c" is registered under "other"`,
    );
  });
});
