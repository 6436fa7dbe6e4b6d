import { ConfigError } from "../core/errors.js";

const PREFIX_RE = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * Checks a schema prefix: lowercase letters, digits and `_`, starting with a letter
 * or `_`, at most 48 characters. Anything else (quotes, spaces, SQL) is refused, so
 * a prefix is never interpolated into SQL unchecked.
 */
export function checkPrefix(prefix: unknown): string | null {
  if (typeof prefix !== "string") return `prefix must be a string, got ${typeof prefix}`;
  if (!PREFIX_RE.test(prefix))
    return `prefix ${JSON.stringify(prefix)} is not a valid schema name (lowercase letters, digits and _, starting with a letter or _, at most 48 characters)`;
  return null;
}

/** Returns the prefix quoted as an identifier, after {@link checkPrefix}. */
export function quotedSchema(prefix: string): string {
  const problem = checkPrefix(prefix);
  if (problem) throw new ConfigError(problem);
  return `"${prefix}"`;
}

/** NOTIFY channel of a prefix. */
export function channelOf(prefix: string): string {
  return `${prefix}_durable`;
}
