/**
 * The published package: what `npm pack` ships and how Node loads it. Needs `npm run
 * build` first (the README's test line builds before it tests).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  exports: Record<string, Record<string, string>>;
};

describe("the package", () => {
  let dir = "";
  beforeAll(async () => {
    if (!existsSync(join(ROOT, "dist", "index.js")))
      throw new Error("dist/ is missing: run `npm run build` before the tests");
    dir = await mkdtemp(join(tmpdir(), "durably-pkg-"));
    await mkdir(join(dir, "node_modules"));
    await symlink(ROOT, join(dir, "node_modules", "durably"), "dir");
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is named durably", ({ expect }) => {
    expect(pkg.name).toBe("durably");
  });

  it("loads by import and by require", async ({ expect }) => {
    await writeFile(
      join(dir, "esm.mjs"),
      'import { createDurable, workflow } from "durably"; console.log(typeof createDurable, typeof workflow);',
    );
    await writeFile(
      join(dir, "cjs.cjs"),
      'const d = require("durably"); console.log(typeof d.createDurable, typeof d.workflow);',
    );
    const node = (file: string) =>
      execFileSync(process.execPath, [file], { cwd: dir, encoding: "utf8" }).trim();
    expect(node("esm.mjs")).toBe("function function");
    expect(node("cjs.cjs")).toBe("function function");
  });

  it("ships no source map that points at files outside the package", ({ expect }) => {
    const [packed] = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: ROOT,
        encoding: "utf8",
      }),
    ) as [{ files: { path: string }[] }];
    const files = new Set(packed.files.map((f) => f.path));
    const maps = [...files].filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const m = JSON.parse(readFileSync(join(ROOT, map), "utf8")) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      m.sources.forEach((source, i) => {
        const shipped = files.has(join(map, "..", source).replace(/\\/g, "/"));
        const inline = typeof m.sourcesContent?.[i] === "string";
        expect(shipped || inline, `${map} -> ${source}`).toBe(true);
      });
    }
    expect([...files].some((f) => f.startsWith("src/") || f.startsWith("test/"))).toBe(false);
    expect(files.has("migrations/0001_core.sql")).toBe(true);
  });
});
