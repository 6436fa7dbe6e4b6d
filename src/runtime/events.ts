/**
 * Lifecycle events (`durable.on(name, fn)`).
 * @module
 */
import type { ErrorInfo } from "../core/errors.js";
import type { Logger } from "../core/types.js";

/** Names of lifecycle events. */
export type LifecycleEventName =
  | "workflow.started"
  | "workflow.resumed"
  | "workflow.waiting"
  | "workflow.completed"
  | "workflow.failed"
  | "workflow.cancelled"
  | "workflow.compensated"
  | "step.started"
  | "step.completed"
  | "step.failed"
  | "step.waiting"
  | "input.requested"
  | "input.provided"
  | "schedule.fired";

/** Payload of a lifecycle event. */
export interface LifecycleEvent {
  type: LifecycleEventName;
  executionId: string;
  workflow: string;
  at: Date;
  step?: string;
  attempt?: number;
  output?: unknown;
  error?: ErrorInfo | null;
  /** Event details (e.g. the request of `input.requested`). */
  data?: unknown;
  /** True when the event was observed through the database from another process. */
  remote?: boolean;
}

/** Listener of lifecycle events. */
export type LifecycleListener = (event: LifecycleEvent) => void;

/** A small typed event emitter; a throwing listener is logged, never propagated. */
export class LifecycleEmitter {
  private readonly listeners = new Map<string, Set<LifecycleListener>>();

  constructor(private readonly logger: Logger) {}

  on(name: LifecycleEventName | "*", listener: LifecycleListener): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Whether anybody listens to `name` (lets callers skip building payloads). */
  has(name: LifecycleEventName): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0 || (this.listeners.get("*")?.size ?? 0) > 0;
  }

  emit(event: LifecycleEvent): void {
    for (const key of [event.type, "*"]) {
      for (const listener of this.listeners.get(key) ?? []) {
        try {
          listener(event);
        } catch (err) {
          this.logger.error(`listener of ${event.type} threw`, { err });
        }
      }
    }
  }
}
