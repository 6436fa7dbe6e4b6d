/**
 * `examples/expense-approval.ts` runs on its own: as a child process in a fresh temporary
 * directory, with no DATABASE_URL (so on embedded PGlite in ./.durable there), it plays
 * the approvers with listPendingInputs + provideInput and exits 0 once every expense is
 * settled (one auto-approved, one approved by the manager, one escalated to the director
 * after the manager's timeout and rejected).
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const EXAMPLE = join(ROOT, "examples", "expense-approval.ts");

function run(cwd: string, env: NodeJS.ProcessEnv, timeout: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, EXAMPLE], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("examples/expense-approval.ts", () => {
  it("runs end to end on embedded PGlite in a fresh directory", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "durable-expense-"));
    try {
      const env = { ...process.env };
      delete env.DATABASE_URL;
      const out = await run(cwd, env, 150_000);
      expect(out.code, `${out.stdout}\n${out.stderr}`).toBe(0);
      for (const line of [
        "EXP-1: submitted (42 EUR)",
        'EXP-2: manager asked: Approve 1200 EUR for "Conference ticket" by grace?',
        "EXP-2: the manager answers approved",
        "EXP-3: the manager does not answer (timeout in",
        'EXP-3: director asked: Approve 4800 EUR for "Standing desks for the team" by linus? (escalated: no answer from the manager)',
        "EXP-3: the director answers rejected",
        "EXP-1: approved by policy, paid (transfer TR-EXP-1)",
        "EXP-2: approved by manager, paid (transfer TR-EXP-2)",
        "EXP-3: rejected by director, not paid",
        "EXP-2 was paid by child execution pay_expense (completed)",
      ])
        expect(out.stdout, `missing: ${line}`).toContain(line);
      // The small expense never asked anybody.
      expect(out.stdout).not.toContain("EXP-1: manager asked");
      expect(readdirSync(cwd)).toContain(".durable");
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  }, 180_000);

  it("is linked from the README and the guides", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme).toContain("examples/expense-approval.ts");
    const waiting = readFileSync(join(ROOT, "docs", "waiting.md"), "utf8");
    expect(waiting).toContain("../examples/expense-approval.ts");
  });
});
