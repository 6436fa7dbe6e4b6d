/**
 * The one codec for every value Durable stores: workflow inputs, step outputs, event
 * payloads and input data. Values are stored as JSON in PostgreSQL `jsonb` columns.
 *
 * ## Stored forms
 *
 * {@link encode} produces one of two forms, and {@link decode} tells them apart by looking
 * only at the top level:
 *
 * - **Plain JSON** (the common case): a value made only of plain objects, arrays, strings,
 *   finite numbers, booleans and `null` is stored exactly as it is: no envelope, no copy,
 *   readable and queryable in SQL (`output->>'orderId'`).
 * - **Envelope**: anything else is encoded with [superjson](https://github.com/flightcontrolhq/superjson)
 *   and stored as `{ "$durable": 1, "json": ..., "meta"?: ... }`, where `json`/`meta` are
 *   superjson's result (`meta` omitted when superjson has none) and `1` is the envelope
 *   version. A top-level plain object that itself has a `"$durable"` key is always
 *   wrapped in an envelope, so user data can never be mistaken for one. Nested
 *   `"$durable"` keys are ordinary data: only the top level is ever inspected.
 *
 * ## What survives a round trip
 *
 * `decode(JSON.parse(JSON.stringify(encode(v))))` (or through a `jsonb` column) restores,
 * at any depth and in any combination: plain objects and arrays, `Date`, `BigInt`, `Map`,
 * `Set`, `undefined` (top level, object fields, array elements; array holes come back as
 * `undefined`), `NaN`, `±Infinity`, `-0`, `RegExp`, `URL`, `Error` (as an `Error` with the
 * original `name`, `message` and `cause`), the typed arrays `Int8Array` ... `Float64Array`
 * (a `Buffer` comes back as a `Uint8Array`), and strings containing U+0000 or unpaired
 * surrogates (which `jsonb` cannot hold; they are escaped inside an envelope). Shared
 * references inside an enveloped value are restored as shared; in plain JSON they come back
 * as copies. Object key order is not preserved by `jsonb`.
 *
 * ## Class instances
 *
 * Instances of other classes are stored the way `JSON.stringify` would see them: through
 * their `toJSON()` method when they have one (e.g. `Decimal`, Luxon `DateTime`), otherwise
 * as a plain object of their enumerable own properties. They decode as plain data (the
 * prototype, methods and `#private` fields are not stored). Boxed primitives are unboxed.
 *
 * ## What is rejected
 *
 * {@link encode} throws a {@link SerializationError} whose `path` (e.g.
 * `$.items[2].callback`) names the offending place, for: a function; a symbol (as a value or
 * as an enumerable property key); a cyclic reference; an invalid `Date`; a `Promise`
 * (usually a missing `await`); `WeakMap`/`WeakSet`/`WeakRef`; `ArrayBuffer`, `DataView` and
 * the 64-bit/16-bit typed arrays; an object key containing U+0000 or an unpaired surrogate;
 * and, only in a value that needs an envelope, an object key named `__proto__`,
 * `constructor` or `prototype` (superjson refuses those).
 * @module
 */
import { SuperJSON, type SuperJSONResult } from "superjson";
import { SerializationError } from "./errors.js";

/** The top-level key that marks the envelope form of a stored value. */
export const ENVELOPE_KEY = "$durable";

/** Version of the envelope format, stored as the value of {@link ENVELOPE_KEY}. */
const ENVELOPE_VERSION = 1;

/**
 * The envelope form of a stored value: superjson's `{ json, meta }` result, marked with
 * {@link ENVELOPE_KEY}.
 */
export interface EncodedEnvelope {
  /** Envelope format version (currently `1`). */
  [ENVELOPE_KEY]: number;
  /** superjson's JSON tree. */
  json: unknown;
  /** superjson's type annotations; omitted when there are none. */
  meta?: SuperJSONResult["meta"];
}

// ---------------------------------------------------------------------------------------
// Strings that jsonb cannot hold

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
const codec = new SuperJSON();
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

const isStackOverflow = (err: unknown): boolean =>
  err instanceof RangeError && /call stack/i.test(err.message);

/**
 * One encode pass. Validates the value, returns it (or, only where needed, a normalized
 * copy), and records whether it is plain JSON.
 */
class Walker {
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

/**
 * Encodes a value for storage as JSON / `jsonb`.
 *
 * Plain JSON values are returned as they are (the same reference, not a copy: stringify the
 * result before the value can change, or use {@link encodeJson}). Anything else becomes an
 * {@link EncodedEnvelope}. See the module documentation for what survives and what is
 * rejected.
 *
 * @param value - The value to encode.
 * @param what - What the value is, for error messages (e.g. `output of step "charge"`).
 * @returns A JSON-safe value that `JSON.stringify` handles and `jsonb` accepts; never
 *   `undefined`.
 * @throws {@link SerializationError} naming the path, e.g. `Cannot serialize output of step
 *   "charge": function at $.items[2].callback`.
 */
export function encode(value: unknown, what = "value"): unknown {
  const walker = new Walker(what);
  let prepared: unknown;
  try {
    prepared = walker.walk(value);
  } catch (err) {
    if (isStackOverflow(err)) {
      throw new SerializationError(`Cannot serialize ${what}: value is nested too deeply`, "$");
    }
    throw err;
  }
  if (walker.plain) {
    if (
      typeof prepared === "object" &&
      prepared !== null &&
      !Array.isArray(prepared) &&
      Object.hasOwn(prepared, ENVELOPE_KEY)
    ) {
      // Plain data that looks like an envelope: wrap it so decode cannot mistake it.
      return { [ENVELOPE_KEY]: ENVELOPE_VERSION, json: prepared } satisfies EncodedEnvelope;
    }
    return prepared;
  }
  if (walker.reservedKeyPath !== undefined) {
    const path = walker.reservedKeyPath;
    throw new SerializationError(
      `Cannot serialize ${what}: reserved key at ${path} (keys named __proto__, constructor or ` +
        `prototype are only allowed in plain JSON values, not alongside Date, BigInt, Map, Set, ` +
        `undefined, NaN, ...)`,
      path,
    );
  }
  let result: SuperJSONResult;
  try {
    result = codec.serialize(prepared);
  } catch (err) {
    if (isStackOverflow(err)) {
      throw new SerializationError(`Cannot serialize ${what}: value is nested too deeply`, "$");
    }
    throw new SerializationError(`Cannot serialize ${what}: ${errorMessage(err)}`, "$");
  }
  const envelope: EncodedEnvelope = { [ENVELOPE_KEY]: ENVELOPE_VERSION, json: result.json };
  if (result.meta !== undefined) envelope.meta = result.meta;
  return envelope;
}

/**
 * Restores a value produced by {@link encode}, after it went through JSON text or a
 * `jsonb` column (or directly).
 *
 * Plain JSON is returned as it is (not copied). An envelope (a top-level object with an own
 * {@link ENVELOPE_KEY} key) is decoded with superjson.
 *
 * @param stored - The parsed stored value.
 * @param what - What the value is, for error messages.
 * @returns The original value, with its types.
 * @throws {@link SerializationError} when an envelope is corrupt or of an unknown version.
 */
export function decode(stored: unknown, what = "stored value"): unknown {
  if (
    typeof stored !== "object" ||
    stored === null ||
    Array.isArray(stored) ||
    !Object.hasOwn(stored, ENVELOPE_KEY)
  ) {
    return stored;
  }
  const envelope = stored as EncodedEnvelope;
  const version = envelope[ENVELOPE_KEY];
  if (version !== ENVELOPE_VERSION) {
    throw new SerializationError(
      `Cannot decode ${what}: unknown envelope version ${JSON.stringify(version)}`,
      "$",
    );
  }
  if (envelope.meta === undefined || envelope.meta === null) return envelope.json;
  try {
    return codec.deserialize({ json: envelope.json as never, meta: envelope.meta });
  } catch (err) {
    throw new SerializationError(`Cannot decode ${what}: ${errorMessage(err)}`, "$");
  }
}

/**
 * Encodes a value as JSON text, e.g. for a `$1::jsonb` query parameter.
 * Same as `JSON.stringify(encode(value, what))`.
 *
 * @param value - The value to encode.
 * @param what - What the value is, for error messages.
 * @returns JSON text that PostgreSQL accepts as `jsonb`.
 * @throws {@link SerializationError} as {@link encode} does.
 */
export function encodeJson(value: unknown, what = "value"): string {
  return JSON.stringify(encode(value, what));
}

/**
 * Decodes JSON text produced by {@link encodeJson} (or a `jsonb` column read as text).
 *
 * @param text - The JSON text.
 * @param what - What the value is, for error messages.
 * @returns The original value, with its types.
 * @throws {@link SerializationError} when the text is not JSON or holds a corrupt envelope.
 */
export function decodeJson(text: string, what = "stored value"): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SerializationError(`Cannot decode ${what}: ${errorMessage(err)}`, "$");
  }
  return decode(parsed, what);
}

/**
 * Returns the value as it will look after being stored and loaded: a deep copy with class
 * instances flattened, Buffers as Uint8Arrays, and so on. Useful to hand a step exactly
 * what a replay would hand it.
 *
 * @param value - The value to copy.
 * @param what - What the value is, for error messages.
 * @returns `decodeJson(encodeJson(value))`.
 * @throws {@link SerializationError} as {@link encode} does.
 */
export function roundTrip<T>(value: T, what = "value"): T {
  return decodeJson(encodeJson(value, what), what) as T;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
