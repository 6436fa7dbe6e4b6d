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
import type { SuperJSONResult } from "superjson";
import { SerializationError } from "./errors.js";
import { codec, isStackOverflow, Walker } from "./serialize-walk.js";

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
