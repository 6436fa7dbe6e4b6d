/**
 * Retry policy arithmetic.
 * @module
 */
import type { RetryPolicy } from "../dsl/nodes.js";

/** A retry policy with every default filled in. */
export type ResolvedRetry = Required<RetryPolicy>;

/** Fills in the defaults of a retry policy. */
export function resolveRetry(policy: RetryPolicy | undefined): ResolvedRetry {
  return {
    maxAttempts: policy?.maxAttempts ?? 1,
    backoff: policy?.backoff ?? "exponential",
    baseDelay: policy?.baseDelay ?? 1000,
    maxDelay: policy?.maxDelay ?? 30_000,
    jitter: policy?.jitter ?? true,
  };
}

/**
 * Delay before attempt n+1 after attempt n (1-based) failed: exponential
 * `min(base * 2^(n-1), max)`, linear `min(base * n, max)`, constant `base`; jitter
 * spreads it ±25 % using `random()` in [0, 1).
 */
export function retryDelay(policy: ResolvedRetry, n: number, random: () => number): number {
  let delay: number;
  switch (policy.backoff) {
    case "exponential":
      delay = Math.min(policy.baseDelay * 2 ** (n - 1), policy.maxDelay);
      break;
    case "linear":
      delay = Math.min(policy.baseDelay * n, policy.maxDelay);
      break;
    case "constant":
      delay = policy.baseDelay;
      break;
  }
  if (policy.jitter) delay = delay * (0.75 + random() * 0.5);
  return Math.max(0, Math.round(delay));
}

/** What to do after a failed attempt. */
export type FailureDecision = { kind: "retry"; delay: number } | { kind: "fail" };

/**
 * Decides between another attempt and giving up, given the failures so far
 * (including this one) and whether the error is retryable.
 */
export function decideFailure(
  policy: ResolvedRetry,
  failures: number,
  retryable: boolean,
  random: () => number,
): FailureDecision {
  if (!retryable || failures >= policy.maxAttempts) return { kind: "fail" };
  return { kind: "retry", delay: retryDelay(policy, failures, random) };
}
