/**
 * The documentation's code is tested:
 *
 * - `examples/quickstart.ts` runs as a child process in a fresh temporary directory,
 *   with no DATABASE_URL (so on embedded PGlite in ./.durable there), and prints its
 *   result; the README shows the same program.
 * - Every ```ts block of README.md and docs/*.md preceded by `<!-- test -->` is
 *   typechecked (all at once, one `tsc` run, with the project's compiler settings);
 *   blocks preceded by `<!-- test: run -->` also run as programs. A run block may be
 *   followed by `<!-- output -->` and a ```text block: what the program must print.
 *   Every guide in docs/ has at least one tested block.
 *
 * How blocks run: each block is written to a temporary directory whose `node_modules`
 * links to this repository's, with `from "durably"` pointing at a small shim that
 * re-exports `src/index.ts` and gives `createDurable` a fresh schema (prefix) on the
 * test PostgreSQL (`DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/test)
 * unless the block names its own database. Each block's schema is dropped afterwards.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

// ---------------------------------------------------------------------------------------
// Extraction of tested blocks

interface Block {
  /** `docs/retries-and-timeouts.md` */
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  run: boolean;
  /** What the program must print (stdout), when an output block follows. */
  expected?: string;
}

const MARKER = /^<!--\s*test(?<run>:\s*run)?\s*-->$/;
const OUTPUT = /^<!--\s*output\s*-->$/;

/** Fenced blocks of a markdown file, each with the marker that precedes it (if any). */
function fences(text: string) {
  const lines = text.split("\n");
  const out: { line: number; lang: string; code: string; marker: string | null }[] = [];
  let marker: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (MARKER.test(line) || OUTPUT.test(line)) {
      marker = line;
      continue;
    }
    const open = /^```(\S*)/.exec(line);
    if (open) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== "```"; i++) body.push(lines[i]!);
      out.push({ line: start + 1, lang: open[1]!, code: body.join("\n"), marker });
      marker = null;
    } else if (line !== "" && marker !== null) {
      throw new Error(`a "${marker}" marker must be followed by a code block (line ${i + 1})`);
    }
  }
  return out;
}

function blocksOf(doc: string): Block[] {
  const found = fences(readFileSync(join(ROOT, doc), "utf8"));
  const blocks: Block[] = [];
  for (const [i, f] of found.entries()) {
    if (f.marker === null) continue;
    if (OUTPUT.test(f.marker)) {
      const prev = blocks[blocks.length - 1];
      if (f.lang !== "text" || !prev?.run || found[i - 1]?.line !== prev.line)
        throw new Error(`${doc}:${f.line}: an output block must be a text block after a run block`);
      prev.expected = f.code;
      continue;
    }
    if (f.lang !== "ts") throw new Error(`${doc}:${f.line}: only ts blocks can be tested`);
    blocks.push({
      doc,
      line: f.line,
      code: f.code,
      run: MARKER.exec(f.marker)!.groups!.run !== undefined,
    });
  }
  return blocks;
}

const GUIDES = readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .sort()
  .map((f) => `docs/${f}`);
const BLOCKS = ["README.md", ...GUIDES].flatMap(blocksOf);
const fileName = (b: Block) =>
  `${b.doc
    .replace(/^docs\//, "")
    .replace(/\.md$/, "")
    .replace(/[^a-zA-Z0-9]+/g, "_")}_L${b.line}.ts`;

// ---------------------------------------------------------------------------------------
// Child processes

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout: number },
): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeout);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** At most `n` child processes at once. */
function limiter(n: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
const limit = limiter(3);

const normalize = (s: string) =>
  s
    .replace(/\r\n/g, "\n")
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .trim();

// ---------------------------------------------------------------------------------------
// The temporary project the blocks live in

let dir = "";
let pool: pg.Pool;

/** The shim imports src/index.ts by a relative path, which both tsc and tsx resolve. */
const shim = (from: string) => {
  const index = JSON.stringify(
    relative(from, join(ROOT, "src", "index.js"))
      .split(sep)
      .join("/"),
  );
  return `// Test shim: "durably" for the documentation's code blocks.
import * as real from ${index};
export * from ${index};

/** createDurable on a fresh schema of the test database, unless the block says otherwise. */
export const createDurable: typeof real.createDurable = (options = {}) =>
  real.createDurable({
    database: process.env.DATABASE_URL,
    prefix: process.env.DURABLE_DOCS_PREFIX,
    poolSize: 4,
    ...options,
  });
`;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "durable-docs-"));
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  const base = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")) as {
    compilerOptions: Record<string, unknown>;
  };
  const compilerOptions: Record<string, unknown> = {
    ...base.compilerOptions,
    noEmit: true,
    declaration: false,
  };
  delete compilerOptions.outDir;
  delete compilerOptions.rootDir;
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions, include: ["*.ts"] }),
  );
  await writeFile(join(dir, "durable.ts"), shim(dir));
  for (const b of BLOCKS) {
    const code = b.code.replace(/from "durably"/g, 'from "./durable.js"');
    await writeFile(join(dir, fileName(b)), `${code}\n\nexport {};\n`);
  }
  pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
});

afterAll(async () => {
  await pool?.end();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------
// Tests

describe.concurrent("documentation", () => {
  it("has at least one tested code block in every guide", ({ expect }) => {
    expect(GUIDES.length).toBeGreaterThanOrEqual(6);
    for (const guide of GUIDES)
      expect(
        BLOCKS.filter((b) => b.doc === guide),
        `${guide} has no tested block`,
      ).not.toHaveLength(0);
  });

  it("links only to files and headings that exist", ({ expect }) => {
    /** GitHub's anchor of a heading. */
    const slug = (heading: string) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
    const anchors = (file: string) =>
      [...readFileSync(file, "utf8").matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!));
    for (const doc of ["README.md", ...GUIDES]) {
      const text = readFileSync(join(ROOT, doc), "utf8");
      for (const [, link] of text.matchAll(/\]\(([^)\s]*)\)/g)) {
        if (/^[a-z]+:/.test(link!)) continue;
        const [target, anchor] = link!.split("#");
        const path = target ? resolve(ROOT, doc, "..", target) : join(ROOT, doc);
        expect(() => readFileSync(path), `${doc} links to ${link}`).not.toThrow();
        if (anchor && path.endsWith(".md"))
          expect(anchors(path), `${doc} links to ${link}`).toContain(anchor);
      }
    }
  });

  it("README's set-up line for the tests is the line CI runs", ({ expect }) => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const line = "npm ci && npm run build && npm run lint && npm test";
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8").split("\n");
    expect(ci).toContain(line);
    expect(readme).toContain(`\n${line}\n`);
    expect(readme).toContain("\nnpm install && npm start\n");
  });

  it("README's quick start is examples/quickstart.ts", ({ expect }) => {
    const file = readFileSync(join(ROOT, "examples", "quickstart.ts"), "utf8")
      .replace(/^\/\*\*[\s\S]*?\*\/\n/, "")
      .replace('from "../src/index.js"', 'from "durably"');
    const readme = fences(readFileSync(join(ROOT, "README.md"), "utf8"));
    expect(readme.map((f) => f.code.trim())).toContain(file.trim());
  });

  it("runs examples/quickstart.ts on embedded PGlite in a fresh directory", async ({ expect }) => {
    const cwd = await mkdtemp(join(tmpdir(), "durable-quickstart-"));
    try {
      const env = { ...process.env };
      delete env.DATABASE_URL;
      const out = await limit(() =>
        run(process.execPath, ["--import", TSX, join(ROOT, "examples", "quickstart.ts")], {
          cwd,
          env,
          timeout: 60_000,
        }),
      );
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain('result: {"userId":"user-ada","welcomed":true}');
      expect(out.stdout).toContain("sending the welcome mail { attempt: 2 }");
      expect(readdirSync(cwd)).toContain(".durable");
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  }, 90_000);

  it("typechecks every tested block", async ({ expect }) => {
    const out = await limit(() =>
      run(process.execPath, [TSC, "-p", join(dir, "tsconfig.json")], {
        cwd: dir,
        env: process.env,
        timeout: 60_000,
      }),
    );
    expect(out.stdout + out.stderr, "tsc found errors").toBe("");
    expect(out.code).toBe(0);
  }, 90_000);

  describe("runs the runnable blocks", () => {
    for (const block of BLOCKS.filter((b) => b.run)) {
      it(`${block.doc}:${block.line}`, async ({ expect }) => {
        const prefix = `docs_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
        try {
          const out = await limit(() =>
            run(process.execPath, ["--import", TSX, join(dir, fileName(block))], {
              cwd: dir,
              env: { ...process.env, DATABASE_URL, DURABLE_DOCS_PREFIX: prefix },
              timeout: 30_000,
            }),
          );
          expect(out.code, `${out.stdout}\n${out.stderr}`).toBe(0);
          if (block.expected !== undefined)
            expect(normalize(out.stdout)).toBe(normalize(block.expected));
        } finally {
          await pool.query(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
        }
      }, 60_000);
    }
  });
});
