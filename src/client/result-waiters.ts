/**
 * Wake-ups of `result()` callers when an execution ends (NOTIFY), with polling as the
 * fallback.
 * @module
 */

/** A wake-up armed before reading the status, so no notification is missed in between. */
export interface ArmedWait {
  wait(ms: number): Promise<void>;
  cancel(): void;
}

/** Registry of pending `result()` waits by execution id. */
export class ResultWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  arm(id: string): ArmedWait {
    let fired = false;
    let wake: () => void = () => {
      fired = true;
    };
    let set = this.waiting.get(id);
    if (!set) this.waiting.set(id, (set = new Set()));
    const trigger = () => wake();
    set.add(trigger);
    const cancel = () => {
      set.delete(trigger);
      if (set.size === 0 && this.waiting.get(id) === set) this.waiting.delete(id);
    };
    return {
      cancel,
      wait: (ms) =>
        new Promise<void>((resolve) => {
          if (fired) return resolve(cancel());
          const timer = setTimeout(() => wake(), ms);
          wake = () => {
            clearTimeout(timer);
            cancel();
            resolve();
          };
        }),
    };
  }

  notify(id: string): void {
    for (const trigger of this.waiting.get(id) ?? []) trigger();
  }

  closeAll(): void {
    for (const set of this.waiting.values()) for (const trigger of set) trigger();
    this.waiting.clear();
  }
}
