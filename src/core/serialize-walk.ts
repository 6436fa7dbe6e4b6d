/**
 * The validating walk behind `encode` (see serialize.ts): finds functions, symbols and
 * cycles with their paths, detects plain JSON, and normalizes what superjson cannot
 * take, copying only what changes.
 * @module
 */
import { SuperJSON } from "superjson";
import { SerializationError } from "./errors.js";
interface WellFormedString {
  isWellFormed(): boolean;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSAFE_CHARS = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `String.prototype.isWellFormed` (Node 20+), with a regex fallback. */
const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as unknown as Partial<WellFormedString>).isWellFormed === "function"
    ? (s) => (s as unknown as WellFormedString).isWellFormed()
    : (s) => !LONE_SURROGATE.test(s);

/** True when `jsonb` would reject the string (U+0000 or an unpaired surrogate). */
const isUnsafeString = (s: string): boolean => s.includes("\0") || !isWellFormed(s);

/** Splits a string into safe runs and the char codes of the unsafe characters. */
function escapeString(s: string): (string | number)[] {
  const parts: (string | number)[] = [];
  let last = 0;
  for (const m of s.matchAll(UNSAFE_CHARS)) {
    if (m.index > last) parts.push(s.slice(last, m.index));
    parts.push(s.charCodeAt(m.index));
    last = m.index + 1;
  }
  if (last < s.length) parts.push(s.slice(last));
  return parts;
}

function unescapeString(parts: (string | number)[]): string {
  let s = "";
  for (const p of parts) s += typeof p === "number" ? String.fromCharCode(p) : p;
  return s;
}

// ---------------------------------------------------------------------------------------
// superjson instance

/** A private instance, so that registrations on superjson's default instance do not change our format. */
export const codec = new SuperJSON();
codec.registerCustom<string, (string | number)[]>(
  {
    isApplicable: (v: unknown): v is string => typeof v === "string" && isUnsafeString(v),
    serialize: escapeString,
    deserialize: unescapeString,
  },
  "durable:string",
);

// ---------------------------------------------------------------------------------------
// Walk: validation, fast-path detection and normalization in one pass

/** Typed arrays superjson restores (by constructor name). */
const TYPED_ARRAYS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
] as const;
const TYPED_ARRAY_SET: ReadonlySet<unknown> = new Set(TYPED_ARRAYS);

/** Keys superjson refuses (prototype-pollution guard). */
const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** One step of a path: a property key, an array index, or a Map/Set/symbol step. */
type Segment =
  | string
  | number
  | { readonly kind: "mapKey"; readonly index: number }
  | { readonly kind: "setValue"; readonly index: number }
  | { readonly kind: "mapValue"; readonly index: number; readonly key: unknown }
  | { readonly kind: "symbol"; readonly symbol: symbol };

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function describeMapKey(key: unknown, index: number): string {
  switch (typeof key) {
    case "string":
      return JSON.stringify(key);
    case "number":
    case "boolean":
      return String(key);
    case "bigint":
      return `${key}n`;
    case "undefined":
      return "undefined";
    default:
      return key === null ? "null" : `<key #${index}>`;
  }
}

/** Formats path segments as `$.items[2].callback`. */
function formatPath(segments: readonly Segment[]): string {
  let out = "$";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (typeof s === "string") out += IDENTIFIER.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
    else if (s.kind === "mapKey") out += `.keys()[${s.index}]`;
    else if (s.kind === "mapValue") out += `.get(${describeMapKey(s.key, s.index)})`;
    else if (s.kind === "setValue") out += `.values()[${s.index}]`;
    else out += `[${String(s.symbol)}]`;
  }
  return out;
}

/** Own property assignment that also works for a `__proto__` key. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

export const isStackOverflow = (err: unknown): boolean =>
  err instanceof RangeError && /call stack/i.test(err.message);

/**
 * One encode pass. Validates the value, returns it (or, only where needed, a normalized
 * copy), and records whether it is plain JSON.
 */
export class Walker {
  /** Stays true while everything seen is plain JSON that jsonb accepts. */
  plain = true;
  /** Path of the first key superjson would refuse, if any. */
  reservedKeyPath: string | undefined;
  /** Containers currently being walked (cycle detection). */
  private readonly ancestors: object[] = [];
  /** For each ancestor, how many path segments lead to it. */
  private readonly ancestorPathLengths: number[] = [];
  /** Path of the value being walked. */
  private readonly segments: Segment[] = [];
  /** Normalized copies already made, so shared references stay shared. */
  private copies: Map<object, unknown> | undefined;

  constructor(private readonly what: string) {}

  fail(problem: string, extra?: Segment, hint = ""): never {
    const path = formatPath(extra === undefined ? this.segments : [...this.segments, extra]);
    throw new SerializationError(
      `Cannot serialize ${this.what}: ${problem} at ${path}${hint}`,
      path,
    );
  }

  walk(value: unknown): unknown {
    switch (typeof value) {
      case "string":
        if (this.plain && isUnsafeString(value)) this.plain = false;
        return value;
      case "number":
        if (value === 0 ? 1 / value < 0 : !Number.isFinite(value)) this.plain = false;
        return value;
      case "boolean":
        return value;
      case "object":
        return value === null ? null : this.object(value);
      case "undefined":
      case "bigint":
        this.plain = false;
        return value;
      case "function":
        return this.fail("function");
      case "symbol":
        return this.fail("symbol");
    }
  }

  private object(value: object): unknown {
    if (this.copies !== undefined) {
      const copy = this.copies.get(value);
      if (copy !== undefined) return copy;
    }
    const index = this.ancestors.indexOf(value);
    if (index !== -1) {
      const target = formatPath(this.segments.slice(0, this.ancestorPathLengths[index]));
      return this.fail("cyclic reference", undefined, ` (back to ${target})`);
    }
    if (Array.isArray(value)) return this.array(value);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      return this.record(value as Record<string, unknown>, false);
    }
    return this.instance(value);
  }

  private enter(container: object): void {
    this.ancestors.push(container);
    this.ancestorPathLengths.push(this.segments.length);
  }

  private leave(): void {
    this.ancestors.pop();
    this.ancestorPathLengths.pop();
  }

  private remember<T>(original: object, copy: T): T {
    (this.copies ??= new Map()).set(original, copy);
    return copy;
  }

  private array(arr: unknown[]): unknown {
    this.enter(arr);
    let out: unknown[] | undefined;
    const n = arr.length;
    for (let i = 0; i < n; i++) {
      const item = arr[i];
      let next: unknown;
      let changed: boolean;
      if (item === undefined && !(i in arr)) {
        // A hole: JSON would turn it into null; store it as an explicit undefined.
        this.plain = false;
        next = undefined;
        changed = true;
      } else {
        this.segments.push(i);
        next = this.walk(item);
        this.segments.pop();
        changed = next !== item;
      }
      if (changed && out === undefined) out = arr.slice(0, i);
      if (out !== undefined) out.push(next);
    }
    this.leave();
    return out === undefined ? arr : this.remember(arr, out);
  }

  /** Plain objects, and (with `copy`) class instances flattened to their own enumerable props. */
  private record(obj: Record<string, unknown>, copy: boolean): unknown {
    this.enter(obj);
    const symbols = Object.getOwnPropertySymbols(obj);
    for (const symbol of symbols) {
      if (Object.prototype.propertyIsEnumerable.call(obj, symbol)) {
        this.fail("symbol-keyed property", { kind: "symbol", symbol });
      }
    }
    const keys = Object.keys(obj);
    let out: Record<string, unknown> | undefined = copy ? {} : undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (isUnsafeString(key)) {
        this.fail("object key containing U+0000 or an unpaired surrogate", key);
      }
      this.segments.push(key);
      if (
        (key.length === 9 || key.length === 11) &&
        this.reservedKeyPath === undefined &&
        RESERVED_KEYS.has(key)
      ) {
        this.reservedKeyPath = formatPath(this.segments);
      }
      const item = obj[key];
      const next = this.walk(item);
      this.segments.pop();
      if (next !== item && out === undefined) {
        out = {};
        for (let j = 0; j < i; j++) setOwn(out, keys[j]!, obj[keys[j]!]);
      }
      if (out !== undefined) setOwn(out, key, next);
    }
    this.leave();
    return out === undefined ? obj : this.remember(obj, out);
  }

  /** Objects whose prototype is not Object.prototype or null. */
  private instance(value: object): unknown {
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) this.fail("invalid Date");
      this.plain = false;
      return value;
    }
    if (value instanceof Map) return this.map(value);
    if (value instanceof Set) return this.set(value);
    if (value instanceof Error) return this.error(value);
    if (value instanceof RegExp || value instanceof URL) {
      this.plain = false;
      return value;
    }
    if (ArrayBuffer.isView(value)) return this.binary(value);
    if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
      return this.fail(value.constructor.name, undefined, " (wrap it in a Uint8Array)");
    }
    if (value instanceof Promise) return this.fail("Promise", undefined, " (missing await?)");
    if (value instanceof WeakMap || value instanceof WeakSet || value instanceof WeakRef) {
      return this.fail(value.constructor.name);
    }
    if (
      value instanceof String ||
      value instanceof Number ||
      value instanceof Boolean ||
      value instanceof BigInt ||
      value instanceof Symbol
    ) {
      return this.walk(value.valueOf());
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") {
      const last = this.segments[this.segments.length - 1];
      const key = typeof last === "string" || typeof last === "number" ? String(last) : "";
      const json: unknown = toJSON.call(value, key);
      if (json !== value) {
        // Keep `value` on the ancestor stack so a toJSON() result that contains it is a cycle.
        this.enter(value);
        const next = this.walk(json);
        this.leave();
        return this.remember(value, next);
      }
    }
    return this.record(value as Record<string, unknown>, true);
  }

  private map(map: Map<unknown, unknown>): unknown {
    this.plain = false;
    this.enter(map);
    const entries: [unknown, unknown][] = [];
    let changed = false;
    let index = 0;
    for (const [key, item] of map) {
      this.segments.push({ kind: "mapKey", index });
      const nextKey = this.walk(key);
      this.segments.pop();
      this.segments.push({ kind: "mapValue", index, key });
      const nextItem = this.walk(item);
      this.segments.pop();
      if (nextKey !== key || nextItem !== item) changed = true;
      entries.push([nextKey, nextItem]);
      index++;
    }
    this.leave();
    return changed ? this.remember(map, new Map(entries)) : map;
  }

  private set(set: Set<unknown>): unknown {
    this.plain = false;
    this.enter(set);
    const items: unknown[] = [];
    let changed = false;
    let index = 0;
    for (const item of set) {
      this.segments.push({ kind: "setValue", index });
      const next = this.walk(item);
      this.segments.pop();
      if (next !== item) changed = true;
      items.push(next);
      index++;
    }
    this.leave();
    return changed ? this.remember(set, new Set(items)) : set;
  }

  /** superjson keeps an Error's name, message and cause; only the cause needs walking. */
  private error(err: Error): unknown {
    this.plain = false;
    if (!("cause" in err)) return err;
    this.enter(err);
    this.segments.push("cause");
    const cause = this.walk(err.cause);
    this.segments.pop();
    this.leave();
    if (cause === err.cause) return err;
    const copy = new Error(err.message, { cause });
    copy.name = err.name;
    if (err.stack !== undefined) copy.stack = err.stack;
    return this.remember(err, copy);
  }

  private binary(view: ArrayBufferView): unknown {
    const ctor = view.constructor;
    if (TYPED_ARRAY_SET.has(ctor)) {
      this.plain = false;
      return view;
    }
    for (const T of TYPED_ARRAYS) {
      if (view instanceof T) {
        // A subclass such as Buffer: store (and restore) it as its base typed array.
        this.plain = false;
        return this.remember(view, new T(view.buffer as ArrayBuffer, view.byteOffset, view.length));
      }
    }
    return this.fail(ctor.name, undefined, " (unsupported binary type; use a Uint8Array)");
  }
}

// ---------------------------------------------------------------------------------------
// Public API
