/**
 * Graph structure (spec 8) and its Mermaid / DOT renderings. The Mermaid text is
 * checked with mermaid's own parser (under a jsdom window, which its sanitizer needs).
 */
import { execFileSync } from "node:child_process";
import { JSDOM } from "jsdom";
import { beforeAll, describe, expect, it } from "vitest";
import { workflow, type GraphEdge, type GraphJson } from "../../src/index.js";
import type { WorkflowDefinition } from "../../src/dsl/nodes.js";
import { renderGraph } from "../../src/engine/graph.js";

const id = (d: any): any => d;

/** One node of every kind, decisions with targets, compensations, a nested branch. */
const full = workflow("orders")
  .step("validate", { compensate: "undo_validate" }, id)
  .decision("triage", id, { targets: ["notify"] })
  .branch("route", (d: any) => d.type, {
    invoice: (b) => b.step("extract_invoice", id).step("validate_invoice", id),
    contract: (b) => b.step("extract_contract", id),
    _: (b) => b.step("manual_review", id),
  })
  .parallel("fetch", (p) =>
    p.step("user", id).step("orders", { compensate: "undo_orders", retry: { maxAttempts: 5 } }, id),
  )
  .loop("poll", { while: () => false, maxIterations: 10 }, (b) =>
    b.step("check", id).step("pause", id),
  )
  .forEach("send_emails", (d: any) => d.recipients, id, { concurrency: 10 })
  .step("notify", id)
  .compensate("undo_validate", id)
  .compensate("undo_orders", id);

/** A branch without default, nested in a loop, with a decision jumping inside the body. */
const nested = workflow("nested")
  .loop("outer", { while: () => false }, (b) =>
    b
      .decision("pick", id, { targets: ["last"] })
      .branch("kind", (d: any) => d.k, {
        'say "hi" [x] {y} |z| #1 <b> a:b & `c` end;': (c) => c.step("odd", id),
        "1": (c) =>
          c
            .branch("inner", (d: any) => d.j, { yes: (cc) => cc.step("deep", id) })
            .step("after", id),
      })
      .step("last", id),
  )
  .parallel("par", (p) => p.step("only", id));

/** Names that sanitize to the same id. */
const clash = workflow("clash")
  .step("a.b", id)
  .step("a_b", id)
  .step("a-b", id)
  .branch("x", () => "1", { "1": (b) => b.step("y__z", id) })
  .step("x__y__z", id);

const single = workflow("single").step("only", id);
const empty = workflow("empty");

const all: [string, WorkflowDefinition][] = [
  ["full", full.definition],
  ["nested", nested.definition],
  ["clash", clash.definition],
  ["single", single.definition],
  ["empty", empty.definition],
];

const json = (def: WorkflowDefinition): GraphJson => renderGraph(def, "json") as GraphJson;
const text = (def: WorkflowDefinition, f: "mermaid" | "dot"): string =>
  renderGraph(def, f) as string;

const edgeKey = (e: GraphEdge) => `${e.from} -> ${e.to}${e.label ? ` [${e.label}]` : ""}`;

describe("graph JSON", () => {
  it("has every node once, start and end, with kinds, labels and template paths", () => {
    const g = json(full.definition);
    expect(g.nodes.map((n) => [n.id, n.kind, n.label, n.path])).toEqual([
      ["wf_start", "start", "start", []],
      ["n_validate", "step", "validate", ["validate"]],
      ["n_triage", "decision", "triage", ["triage"]],
      ["n_route", "branch", "route", ["route"]],
      ["n_route__extract_invoice", "step", "extract_invoice", ["route", "extract_invoice"]],
      ["n_route__validate_invoice", "step", "validate_invoice", ["route", "validate_invoice"]],
      ["n_route__extract_contract", "step", "extract_contract", ["route", "extract_contract"]],
      ["n_route__manual_review", "step", "manual_review", ["route", "manual_review"]],
      ["n_fetch", "parallel", "fetch", ["fetch"]],
      ["n_fetch__user", "step", "user", ["fetch", "user"]],
      ["n_fetch__orders", "step", "orders", ["fetch", "orders"]],
      ["n_poll", "loop", "loop: poll", ["poll"]],
      ["n_poll__check", "step", "check", ["poll", "check"]],
      ["n_poll__pause", "step", "pause", ["poll", "pause"]],
      ["n_send_emails", "forEach", "for each: send_emails", ["send_emails"]],
      ["n_notify", "step", "notify", ["notify"]],
      ["wf_end", "end", "end", []],
      ["c_undo_validate", "compensation", "undo_validate", ["undo_validate"]],
      ["c_undo_orders", "compensation", "undo_orders", ["undo_orders"]],
    ]);
    expect(g.nodes.every((n) => n.state === undefined)).toBe(true);
  });

  it("chains pipelines with branch cases, parallel fan-out/join, loop, goto and compensation edges", () => {
    const g = json(full.definition);
    expect(g.edges.map(edgeKey)).toEqual([
      "wf_start -> n_validate",
      "n_validate -> n_triage",
      "n_triage -> n_route",
      "n_route -> n_route__extract_invoice [invoice]",
      "n_route__extract_invoice -> n_route__validate_invoice",
      "n_route -> n_route__extract_contract [contract]",
      "n_route -> n_route__manual_review [default]",
      "n_route__validate_invoice -> n_fetch",
      "n_route__extract_contract -> n_fetch",
      "n_route__manual_review -> n_fetch",
      "n_fetch -> n_fetch__user",
      "n_fetch -> n_fetch__orders",
      "n_fetch__user -> n_poll",
      "n_fetch__orders -> n_poll",
      "n_poll -> n_poll__check",
      "n_poll__check -> n_poll__pause",
      "n_poll__pause -> n_poll [repeat]",
      "n_poll -> n_send_emails [done]",
      "n_send_emails -> n_notify",
      "n_triage -> n_notify [goto]",
      "n_notify -> wf_end",
      "n_validate -> c_undo_validate [compensates]",
      "n_fetch__orders -> c_undo_orders [compensates]",
    ]);
  });

  it("adds a 'no match' edge for a branch without default, also inside loops", () => {
    const g = json(nested.definition);
    const edges = g.edges.map(edgeKey);
    const odd = 'say "hi" [x] {y} |z| #1 <b> a:b & `c` end;';
    expect(edges).toEqual([
      "wf_start -> n_outer",
      "n_outer -> n_outer__pick",
      "n_outer__pick -> n_outer__kind",
      // Integer-like keys come first in JS objects; the default (none here) would be last.
      "n_outer__kind -> n_outer__kind__inner [1]",
      "n_outer__kind__inner -> n_outer__kind__inner__deep [yes]",
      "n_outer__kind__inner__deep -> n_outer__kind__after",
      "n_outer__kind__inner -> n_outer__kind__after [no match]",
      `n_outer__kind -> n_outer__kind__odd [${odd}]`,
      "n_outer__kind__after -> n_outer__last",
      "n_outer__kind__odd -> n_outer__last",
      "n_outer__kind -> n_outer__last [no match]",
      "n_outer__pick -> n_outer__last [goto]",
      "n_outer__last -> n_outer [repeat]",
      "n_outer -> n_par [done]",
      "n_par -> n_par__only",
      "n_par__only -> wf_end",
    ]);
    expect(g.nodes.find((n) => n.id === "n_outer__kind__inner__deep")?.path).toEqual([
      "outer",
      "kind",
      "inner",
      "deep",
    ]);
  });

  it("joins the exits of a loop body's last branch back to the loop", () => {
    const wf = workflow("tail").loop("l", { while: () => false }, (b) =>
      b.branch("b", id, { a: (c) => c.step("s", id) }),
    );
    expect(json(wf.definition).edges.map(edgeKey)).toEqual([
      "wf_start -> n_l",
      "n_l -> n_l__b",
      "n_l__b -> n_l__b__s [a]",
      "n_l__b__s -> n_l [repeat]",
      "n_l__b -> n_l [no match, repeat]",
      "n_l -> wf_end [done]",
    ]);
  });

  it("gives safe, unique ids even when names sanitize alike", () => {
    const g = json(clash.definition);
    const ids = g.nodes.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const i of ids) expect(i).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
    expect(ids).toEqual([
      "wf_start",
      "n_a_b",
      "n_a_b_2",
      "n_a_b_3",
      "n_x",
      "n_x__y__z",
      "n_x__y__z_2",
      "wf_end",
    ]);
    expect(g.nodes.map((n) => n.label)).toContain("a-b");
  });

  it("draws an empty workflow as start -> end and a compensation nobody names unconnected", () => {
    expect(json(empty.definition)).toEqual({
      nodes: [
        { id: "wf_start", kind: "start", label: "start", path: [] },
        { id: "wf_end", kind: "end", label: "end", path: [] },
      ],
      edges: [{ from: "wf_start", to: "wf_end" }],
    });
    const lone = workflow("lone").step("s", id).compensate("never", id);
    const g = json(lone.definition);
    expect(g.nodes.at(-1)).toMatchObject({ id: "c_never", kind: "compensation" });
    expect(g.edges.some((e) => e.to === "c_never" || e.from === "c_never")).toBe(false);
  });

  it.each(all)(
    "%s: edges join declared nodes; every tree node lies between start and end",
    (_, def) => {
      const g = json(def);
      const ids = new Set(g.nodes.map((n) => n.id));
      for (const e of g.edges) {
        expect(ids.has(e.from)).toBe(true);
        expect(ids.has(e.to)).toBe(true);
      }
      const reach = (from: string, next: (e: GraphEdge) => [string, string]) => {
        const seen = new Set([from]);
        const todo = [from];
        while (todo.length) {
          const at = todo.pop()!;
          for (const e of g.edges) {
            const [a, b] = next(e);
            if (a === at && !seen.has(b)) {
              seen.add(b);
              todo.push(b);
            }
          }
        }
        return seen;
      };
      const fromStart = reach("wf_start", (e) => [e.from, e.to]);
      const toEnd = reach("wf_end", (e) => [e.to, e.from]);
      for (const n of g.nodes.filter((n) => n.kind !== "compensation")) {
        expect(fromStart.has(n.id), n.id).toBe(true);
        expect(toEnd.has(n.id), n.id).toBe(true);
      }
    },
  );

  it("returns a fresh graph each call", () => {
    const a = json(full.definition);
    a.nodes[0]!.label = "changed";
    expect(json(full.definition).nodes[0]!.label).toBe("start");
  });
});

// ---------------------------------------------------------------- Mermaid

let mermaid: typeof import("mermaid").default;
let dom: JSDOM;

/** Text as mermaid stores it (entity markers) back to plain text. */
const decode = (s: string): string => {
  const el = dom.window.document.createElement("textarea");
  el.innerHTML = s.replace(/ﬂ°°/g, "&#").replace(/ﬂ°/g, "&").replace(/¶ß/g, ";");
  return el.value;
};

/** Parses the text and returns mermaid's view of it (vertices, edges). */
async function mermaidDb(src: string) {
  await mermaid.parse(src);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(src);
  const db = diagram.db as any;
  const vertices = db.getVertices() as Map<
    string,
    { text: string; type: string; classes: string[] }
  >;
  const edges = db.getEdges() as { start: string; end: string; text: string; stroke: string }[];
  return { vertices, edges };
}

beforeAll(async () => {
  // mermaid's DOMPurify wants a window, even just to parse.
  dom = new JSDOM("<!doctype html><html><body></body></html>");
  const g = globalThis as any;
  g.window ??= dom.window;
  g.document ??= dom.window.document;
  mermaid = (await import("mermaid")).default;
});

describe("mermaid", () => {
  it("rejects a broken text (the check can fail)", async () => {
    await expect(mermaid.parse('flowchart TD\n  a["x] --> b\n')).rejects.toThrow();
    await expect(mermaid.parse("flowchart TD\n  a --> end\n")).rejects.toThrow();
  });

  it.each(all)("%s: parses, with every node and edge as in the JSON", async (_, def) => {
    const src = text(def, "mermaid");
    expect(src.startsWith("flowchart TD\n")).toBe(true);
    const g = json(def);
    const { vertices, edges } = await mermaidDb(src);
    expect([...vertices.keys()].sort()).toEqual(g.nodes.map((n) => n.id).sort());
    for (const n of g.nodes) expect(decode(vertices.get(n.id)!.text)).toBe(n.label);
    expect(edges.map((e) => [e.start, e.end, decode(e.text)])).toEqual(
      g.edges.map((e) => [e.from, e.to, e.label ?? ""]),
    );
  });

  it("uses a shape per kind and dotted compensation edges", async () => {
    const { vertices, edges } = await mermaidDb(text(full.definition, "mermaid"));
    const type = (i: string) => vertices.get(i)!.type;
    expect(type("wf_start")).toBe("stadium");
    expect(type("wf_end")).toBe("stadium");
    expect(type("n_validate")).toBe("square");
    expect(type("n_triage")).toBe("diamond");
    expect(type("n_route")).toBe("hexagon");
    expect(type("n_fetch")).toBe("subroutine");
    expect(type("n_send_emails")).toBe("lean_right");
    expect(type("n_poll")).toBe("trapezoid");
    expect(type("c_undo_validate")).toBe("round");
    const dotted = edges.filter((e) => e.stroke === "dotted").map((e) => `${e.start}>${e.end}`);
    expect(dotted).toEqual(["n_validate>c_undo_validate", "n_fetch__orders>c_undo_orders"]);
  });

  it("escapes labels: quotes, brackets, pipes, #, <, newlines and keywords survive", async () => {
    const weird = 'a "b" [c] {d} (e) |f| #g; <h>&amp; `i` j:k\nend\r\tl';
    const wf = workflow("weird").branch("b", id, { [weird]: (c) => c.step("s", id) });
    const src = text(wf.definition, "mermaid");
    expect(src).toContain("#quot;b#quot; [c] {d} (e) #124;f#124; #35;g; #lt;h#gt;#amp;amp;");
    const { edges } = await mermaidDb(src);
    const label = decode(edges.find((e) => e.end === "n_b__s")!.text);
    expect(label).toBe(weird.replace(/[\n\r\t]+/g, " "));
  });

  it("classes nodes by status when given records", async () => {
    const src = renderGraph(single.definition, "mermaid", [
      {
        id: "1",
        name: "only",
        type: "step",
        path: ["only"],
        attempt: 1,
        status: "failed",
        input: null,
        output: null,
        error: null,
        startedAt: null,
        completedAt: null,
        durationMs: 5,
      },
    ]) as string;
    expect(src).toContain("classDef st_failed fill:#f8d7da");
    expect(src).toContain("class n_only st_failed");
    expect(src).toContain("class wf_start st_completed");
    const { vertices } = await mermaidDb(src);
    expect(vertices.get("n_only")!.classes).toEqual(["st_failed"]);
    expect(vertices.get("wf_end")!.classes).toEqual([]);
  });
});

// ---------------------------------------------------------------- DOT

/** Splits DOT text into quoted strings and the rest, checking quotes close. */
function dotOutsideStrings(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    if (src[i] === '"') {
      i++;
      while (i < src.length && src[i] !== '"') i += src[i] === "\\" ? 2 : 1;
      if (i >= src.length) throw new Error("unterminated string");
      out += '""';
      i++;
    } else out += src[i++];
  }
  return out;
}

const hasGraphviz = (() => {
  try {
    execFileSync("dot", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe("dot", () => {
  it.each(all)("%s: is a balanced digraph whose edges join declared nodes", (_, def) => {
    const src = text(def, "dot");
    const bare = dotOutsideStrings(src);
    expect(bare.startsWith('digraph "" {')).toBe(true);
    expect(bare.trimEnd().endsWith("}")).toBe(true);
    let depth = 0;
    for (const c of bare) {
      depth += c === "{" ? 1 : c === "}" ? -1 : 0;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    const declared = new Set(
      [...bare.matchAll(/^ {2}(\w+) \[/gm)]
        .map((m) => m[1])
        .filter((n) => n !== "node" && n !== "edge"),
    );
    const edges = [...bare.matchAll(/^ {2}(\w+) -> (\w+)/gm)];
    expect(declared).toEqual(new Set(json(def).nodes.map((n) => n.id)));
    expect(edges).toHaveLength(json(def).edges.length);
    for (const [, a, b] of edges) expect(declared.has(a) && declared.has(b)).toBe(true);
  });

  it("has shapes, dashed compensation edges and escaped labels", () => {
    const src = text(full.definition, "dot");
    expect(src).toContain('n_triage [label="triage", shape=diamond];');
    expect(src).toContain('n_route [label="route", shape=hexagon];');
    expect(src).toContain('n_route -> n_route__manual_review [label="default"];');
    expect(src).toContain('n_validate -> c_undo_validate [label="compensates", style=dashed];');
    const wf = workflow("weird").branch("b", id, { 'a "q" \\ b\nc': (c) => c.step("s", id) });
    // Workflow names are restricted by the DSL; a hand-made definition may still hold anything.
    const weird = text({ ...wf.definition, name: 'we"ird' }, "dot");
    expect(weird).toContain('digraph "we\\"ird" {');
    expect(weird).toContain('n_b -> n_b__s [label="a \\"q\\" \\\\ b\\nc"];');
  });

  it.runIf(hasGraphviz)("renders with graphviz", () => {
    for (const [, def] of all) {
      const svg = execFileSync("dot", ["-Tsvg"], { input: text(def, "dot") }).toString();
      expect(svg).toContain("<svg");
    }
  });
});
