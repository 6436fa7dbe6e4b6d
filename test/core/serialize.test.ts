import { describe, it, expect } from "vitest";
import { PGlite } from "@electric-sql/pglite";
import { SerializationError } from "../../src/core/errors.js";
import {
  ENVELOPE_KEY,
  decode,
  decodeJson,
  encode,
  encodeJson,
  roundTrip,
} from "../../src/core/serialize.js";

/** Characters PostgreSQL jsonb rejects, as JSON.stringify writes them (not preceded by an escaping backslash). */
const JSONB_REJECTS = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/** Reverses the key order of every object, as jsonb may reorder keys. */
function shuffleKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shuffleKeys);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).reverse()) {
      out[key] = shuffleKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/** encode -> JSON text (checked jsonb-safe) -> parse -> reorder keys -> decode. */
function viaJson(value: unknown): unknown {
  const text = JSON.stringify(encode(value));
  expect(typeof text).toBe("string");
  expect(text).not.toMatch(JSONB_REJECTS);
  return decode(shuffleKeys(JSON.parse(text)));
}

function serializationError(fn: () => unknown): SerializationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SerializationError);
    return err as SerializationError;
  }
  throw new Error("expected a SerializationError");
}

describe("plain JSON (fast path)", () => {
  const order = {
    id: "ord_1",
    total: 12.5,
    paid: false,
    note: null,
    items: [
      { sku: "a", qty: 2, tags: ["x", "y"] },
      { sku: "b", qty: 1, tags: [] },
    ],
    nested: { deep: { deeper: [1, [2, [3]]] } },
    empty: {},
    unicode: "héllo 😀 \u2028 \\u0000 (literal backslash-u)",
  };

  it("returns the value itself, with no envelope", () => {
    expect(encode(order)).toBe(order);
    expect(encodeJson(order)).toBe(JSON.stringify(order));
  });

  it("round-trips through JSON text", () => {
    expect(viaJson(order)).toEqual(order);
    for (const v of [null, true, false, 0, 1.5, -3, "", "text", [], {}, [null], 1e300, 5e-324]) {
      expect(viaJson(v)).toEqual(v);
    }
  });

  it("decode returns plain stored values unchanged", () => {
    const stored = JSON.parse(JSON.stringify(order));
    expect(decode(stored)).toBe(stored);
  });

  it("stays plain for a null-prototype object", () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.a = 1;
    expect(encode(o)).toBe(o);
    expect(viaJson(o)).toEqual({ a: 1 });
  });

  it("allows __proto__, constructor and prototype keys in plain values", () => {
    const v = JSON.parse('{"__proto__": {"x": 1}, "constructor": 2, "prototype": [3]}');
    const back = decodeJson(encodeJson(v)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(["__proto__", "constructor", "prototype"]);
    expect(back.constructor).toBe(2);
  });

  it("keeps shared (non-cyclic) references, as copies", () => {
    const shared = { a: 1 };
    const back = viaJson({ x: shared, y: shared, list: [shared, shared] });
    expect(back).toEqual({ x: { a: 1 }, y: { a: 1 }, list: [{ a: 1 }, { a: 1 }] });
  });
});

describe("round trips with types", () => {
  it("undefined at the top level, in object fields and in arrays", () => {
    expect(viaJson(undefined)).toBeUndefined();
    const back = viaJson({ a: undefined, b: 1, c: [1, undefined, 3] }) as Record<string, unknown>;
    expect(Object.hasOwn(back, "a")).toBe(true);
    expect(back).toStrictEqual({ a: undefined, b: 1, c: [1, undefined, 3] });
    expect(viaJson([undefined])).toStrictEqual([undefined]);
  });

  it("array holes come back as undefined", () => {
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [1, , 3];
    const back = viaJson(sparse) as unknown[];
    expect(back).toHaveLength(3);
    expect(1 in back).toBe(true);
    expect(back[1]).toBeUndefined();
    expect(1 in sparse).toBe(false); // the input is not modified
  });

  it("Date", () => {
    const d = new Date("2024-05-01T12:34:56.789Z");
    const back = viaJson(d);
    expect(back).toBeInstanceOf(Date);
    expect((back as Date).getTime()).toBe(d.getTime());
    expect(viaJson({ at: [d] })).toEqual({ at: [d] });
  });

  it("BigInt", () => {
    const big = 2n ** 200n + 1n;
    expect(viaJson(10n)).toBe(10n);
    expect(viaJson({ big, neg: -5n })).toEqual({ big, neg: -5n });
  });

  it("Map, with any keys and insertion order", () => {
    const objKey = { id: 1 };
    const m = new Map<unknown, unknown>([
      ["z", 1],
      [objKey, "object key"],
      [3, new Date(0)],
      [10n, undefined],
      ["a", new Map([["inner", new Set([1])]])],
    ]);
    const back = viaJson(m) as Map<unknown, unknown>;
    expect(back).toBeInstanceOf(Map);
    expect([...back.keys()]).toEqual(["z", { id: 1 }, 3, 10n, "a"]);
    expect(back).toEqual(m);
    expect(back.has(10n)).toBe(true);
    expect(back.get(10n)).toBeUndefined();
  });

  it("Set", () => {
    const s = new Set<unknown>([3, "a", 1n, new Date(1), { o: 1 }, undefined]);
    const back = viaJson(s) as Set<unknown>;
    expect(back).toBeInstanceOf(Set);
    expect([...back]).toEqual([...s]);
  });

  it("NaN, Infinity, -Infinity and -0", () => {
    expect(viaJson(NaN)).toBeNaN();
    expect(viaJson(Infinity)).toBe(Infinity);
    expect(viaJson(-Infinity)).toBe(-Infinity);
    expect(Object.is(viaJson(-0), -0)).toBe(true);
    const back = viaJson({ n: [NaN, NaN], i: Infinity, z: -0, zero: 0 }) as Record<string, unknown>;
    expect(back.n).toEqual([NaN, NaN]);
    expect(back.i).toBe(Infinity);
    expect(Object.is(back.z, -0)).toBe(true);
    expect(Object.is(back.zero, 0)).toBe(true);
  });

  it("RegExp and URL", () => {
    const back = viaJson({ r: /a.b+/gi, u: new URL("https://example.com/p?q=1#h") }) as {
      r: RegExp;
      u: URL;
    };
    expect(back.r).toBeInstanceOf(RegExp);
    expect(back.r.source).toBe("a.b+");
    expect(back.r.flags).toBe("gi");
    expect(back.u).toBeInstanceOf(URL);
    expect(back.u.href).toBe("https://example.com/p?q=1#h");
  });

  it("Error keeps name, message and cause", () => {
    const err = new TypeError("bad input", { cause: { at: new Date(5), code: 42n } });
    const back = viaJson({ err }) as { err: Error };
    expect(back.err).toBeInstanceOf(Error);
    expect(back.err.name).toBe("TypeError");
    expect(back.err.message).toBe("bad input");
    expect(back.err.cause).toEqual({ at: new Date(5), code: 42n });
  });

  it("typed arrays, and Buffer as Uint8Array", () => {
    const back = viaJson({
      u8: new Uint8Array([1, 2, 255]),
      f64: new Float64Array([1.5, -2]),
      i32: new Int32Array([-1, 7]),
      buf: Buffer.from("hi"),
    }) as Record<string, unknown>;
    expect(back.u8).toEqual(new Uint8Array([1, 2, 255]));
    expect(back.f64).toEqual(new Float64Array([1.5, -2]));
    expect(back.i32).toEqual(new Int32Array([-1, 7]));
    expect(back.buf).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(back.buf)).toBe(false);
    expect([...(back.buf as Uint8Array)]).toEqual([104, 105]);
  });

  it("strings jsonb cannot hold (U+0000, unpaired surrogates) are escaped", () => {
    const strings = [
      "\0",
      "a\0b\0",
      "\ud800",
      "x\udc00y",
      "\udc00\ud800",
      "ok 😀 \ud83d",
      "\0😀\0",
    ];
    for (const s of strings) expect(viaJson(s)).toBe(s);
    const m = new Map([["k\0", "v\ud800"]]);
    expect(viaJson({ list: strings, m })).toEqual({ list: strings, m });
  });

  it("keys with dots, backslashes and odd characters next to typed values", () => {
    const v = { "a.b": new Date(1), "x\\y": 1n, "": undefined, "1": NaN, "a\\.b": new Set([1]) };
    expect(viaJson(v)).toStrictEqual(v);
  });

  it("nested combinations", () => {
    const v = {
      when: new Date(0),
      ids: new Set([1n, 2n]),
      byUser: new Map<string, unknown>([
        ["ann", { seen: [new Date(1), undefined], score: -0, extra: new Map([[1, NaN]]) }],
      ]),
      list: [{ a: undefined }, [new Set([new Map([[new Date(2), 3n]])])]],
      plain: { a: [1, "two", null, true] },
    };
    expect(viaJson(v)).toStrictEqual(v);
  });

  it("shared references inside an envelope stay shared", () => {
    const shared = { at: new Date(3) };
    const back = viaJson({ a: shared, b: shared }) as { a: unknown; b: unknown };
    expect(back.a).toEqual(shared);
    expect(back.b).toBe(back.a);
  });
});

describe("class instances", () => {
  class Point {
    #secret = 1;
    constructor(
      public x: number,
      public y: Date,
    ) {}
    get sum(): number {
      return this.x + this.#secret;
    }
    norm(): number {
      return this.x;
    }
  }

  it("are stored as their enumerable own properties", () => {
    const back = viaJson({ p: new Point(1, new Date(9)) }) as { p: unknown };
    expect(Object.getPrototypeOf(back.p)).toBe(Object.prototype);
    expect(back.p).toEqual({ x: 1, y: new Date(9) });
  });

  it("use toJSON() when they have one", () => {
    class Money {
      constructor(private readonly cents: number) {}
      toJSON(): string {
        return `${this.cents / 100} EUR`;
      }
    }
    const value = { price: new Money(1250) };
    expect(encode(value)).toEqual({ price: "12.5 EUR" });
    expect(viaJson(value)).toEqual({ price: "12.5 EUR" });
  });

  it("unbox boxed primitives", () => {
    const boxed: Record<string, unknown> = {
      s: new String("s"),
      n: new Number(2),
      b: new Boolean(false),
    };
    expect(viaJson(boxed)).toEqual({ s: "s", n: 2, b: false });
  });

  it("do not modify the input", () => {
    const p = new Point(2, new Date(0));
    const value = { p, list: [p] };
    encode(value);
    expect(value.p).toBe(p);
    expect(value.list[0]).toBeInstanceOf(Point);
  });

  it("roundTrip gives what a replay would see", () => {
    const copy = roundTrip({ p: new Point(1, new Date(2)), when: new Date(3) });
    expect(copy).toEqual({ p: { x: 1, y: new Date(2) }, when: new Date(3) });
  });
});

describe("errors", () => {
  it("a function, naming the path and what was serialized", () => {
    const value = { items: [{}, {}, { sku: "c", callback: () => 1 }] };
    const err = serializationError(() => encode(value, 'output of step "charge"'));
    expect(err.message).toBe(
      'Cannot serialize output of step "charge": function at $.items[2].callback',
    );
    expect(err.path).toBe("$.items[2].callback");
    expect(err.code).toBe("SERIALIZATION_ERROR");
  });

  it("uses 'value' when no description is given", () => {
    expect(serializationError(() => encode(() => 1)).message).toBe(
      "Cannot serialize value: function at $",
    );
  });

  it("a symbol value and a symbol key", () => {
    expect(serializationError(() => encode({ a: { s: Symbol("x") } })).path).toBe("$.a.s");
    const keyed = serializationError(() => encode({ a: [{ [Symbol("k")]: 1 }] }));
    expect(keyed.path).toBe("$.a[0][Symbol(k)]");
    expect(keyed.message).toContain("symbol-keyed property");
  });

  it("ignores non-enumerable symbol keys", () => {
    const o = { a: 1 };
    Object.defineProperty(o, Symbol("hidden"), { value: 1, enumerable: false });
    expect(viaJson(o)).toEqual({ a: 1 });
  });

  it("quotes keys that are not identifiers", () => {
    expect(serializationError(() => encode({ "my key": [() => 1] })).path).toBe('$["my key"][0]');
  });

  it("a cyclic reference", () => {
    const self: Record<string, unknown> = { a: 1 };
    self.me = self;
    const err = serializationError(() => encode(self, "input"));
    expect(err.path).toBe("$.me");
    expect(err.message).toBe("Cannot serialize input: cyclic reference at $.me (back to $)");

    const nested: { a: { b: unknown[] } } = { a: { b: [] } };
    nested.a.b.push(nested.a);
    expect(serializationError(() => encode(nested)).path).toBe("$.a.b[0]");

    const inMap = new Map<string, unknown>();
    inMap.set("k", { m: inMap });
    expect(serializationError(() => encode({ inMap })).path).toBe('$.inMap.get("k").m');

    const inSet = new Set<unknown>();
    inSet.add([inSet]);
    expect(serializationError(() => encode(inSet)).path).toBe("$.values()[0][0]");

    const err2 = new Error("x");
    (err2 as { cause?: unknown }).cause = { err2 };
    expect(serializationError(() => encode(err2)).path).toBe("$.cause.err2");
  });

  it("a cyclic reference through toJSON()", () => {
    class Wrapper {
      toJSON(): unknown {
        const inner: Record<string, unknown> = {};
        inner.self = inner;
        return { inner };
      }
    }
    const err = serializationError(() => encode({ list: [new Wrapper()] }));
    expect(err.message).toBe(
      "Cannot serialize value: cyclic reference at $.list[0].inner.self (back to $.list[0].inner)",
    );
    class Loop {
      toJSON(): unknown {
        return { again: this };
      }
    }
    expect(serializationError(() => encode({ l: new Loop() })).message).toContain(
      "cyclic reference at $.l.again (back to $.l)",
    );
  });

  it("functions inside Maps and Sets", () => {
    expect(serializationError(() => encode(new Map([[1, () => 1]]))).path).toBe("$.get(1)");
    expect(serializationError(() => encode(new Map([[() => 1, 1]]))).path).toBe("$.keys()[0]");
    expect(serializationError(() => encode({ s: new Set([1, () => 1]) })).path).toBe(
      "$.s.values()[1]",
    );
  });

  it("functions in class instances", () => {
    class Handler {
      onDone = (): void => {};
    }
    expect(serializationError(() => encode({ h: new Handler() })).path).toBe("$.h.onDone");
  });

  it("values that cannot be stored sensibly", () => {
    expect(serializationError(() => encode({ d: new Date(NaN) })).message).toContain(
      "invalid Date at $.d",
    );
    expect(serializationError(() => encode({ p: Promise.resolve(1) })).message).toContain(
      "Promise at $.p (missing await?)",
    );
    expect(serializationError(() => encode([new WeakMap()])).path).toBe("$[0]");
    expect(serializationError(() => encode(new ArrayBuffer(4))).message).toContain(
      "ArrayBuffer at $",
    );
    expect(serializationError(() => encode({ b: new BigInt64Array(1) })).path).toBe("$.b");
  });

  it("object keys jsonb cannot hold", () => {
    expect(serializationError(() => encode({ "a\0": 1 })).path).toBe('$["a\\u0000"]');
    expect(serializationError(() => encode({ x: { "\ud800": 1 } })).path).toBe('$.x["\\ud800"]');
  });

  it("reserved keys only in values that need an envelope", () => {
    const err = serializationError(() => encode({ a: { constructor: 1 }, when: new Date() }));
    expect(err.path).toBe("$.a.constructor");
  });

  it("a value nested too deeply", () => {
    const root: Record<string, unknown> = {};
    let node = root;
    for (let i = 0; i < 100_000; i++) node = node.n = {};
    expect(serializationError(() => encode(root)).message).toContain("nested too deeply");
  });

  it("thrown by encodeJson and roundTrip too", () => {
    expect(() => encodeJson({ f: () => 1 })).toThrow(SerializationError);
    expect(() => roundTrip({ f: () => 1 })).toThrow(SerializationError);
  });

  it("decode rejects corrupt input", () => {
    expect(() => decodeJson("{not json")).toThrow(SerializationError);
    expect(() => decode({ [ENVELOPE_KEY]: 99, json: 1 })).toThrow(/unknown envelope version 99/);
  });
});

describe("envelope look-alikes", () => {
  const fakeDate = {
    [ENVELOPE_KEY]: 1,
    json: "2020-01-01T00:00:00.000Z",
    meta: { values: ["Date"], v: 1 },
  };

  it("a plain object shaped like an envelope is not mis-decoded", () => {
    const back = viaJson(fakeDate);
    expect(back).toEqual(fakeDate);
    expect(viaJson({ [ENVELOPE_KEY]: 1 })).toEqual({ [ENVELOPE_KEY]: 1 });
    expect(viaJson({ [ENVELOPE_KEY]: "x", json: null })).toEqual({
      [ENVELOPE_KEY]: "x",
      json: null,
    });
  });

  it("alongside typed values", () => {
    const v = { ...fakeDate, real: new Date(7), n: undefined };
    expect(viaJson(v)).toStrictEqual(v);
  });

  it("nested, and inside arrays", () => {
    const v = { inner: fakeDate, list: [fakeDate] };
    expect(encode(v)).toBe(v);
    expect(viaJson(v)).toEqual(v);
    expect(viaJson([fakeDate])).toEqual([fakeDate]);
    expect(viaJson({ inner: fakeDate, at: new Date(1) })).toEqual({
      inner: fakeDate,
      at: new Date(1),
    });
  });

  it("a bare superjson result is plain data", () => {
    const v = { json: "2020-01-01T00:00:00.000Z", meta: { values: ["Date"] } };
    expect(encode(v)).toBe(v);
    expect(viaJson(v)).toEqual(v);
  });
});

describe("large values", () => {
  const big = "x".repeat(1024 * 1024);

  it("a 1 MB string, plain", () => {
    const v = { big };
    expect(encode(v)).toBe(v);
    expect(decodeJson(encodeJson(v))).toEqual(v);
  });

  it("a 1 MB string in an envelope, and with U+0000 in it", () => {
    const v = { big, at: new Date(1) };
    expect(viaJson(v)).toEqual(v);
    const withNul = `${big}\0${big}`;
    expect(viaJson(withNul)).toBe(withNul);
  });

  it("a large array of objects", () => {
    const list = Array.from({ length: 20_000 }, (_, i) => ({ i, s: `item ${i}` }));
    expect(encode(list)).toBe(list);
    const withDates = list.map((o) => ({ ...o, at: new Date(o.i) }));
    expect(viaJson(withDates)).toEqual(withDates);
  });
});

describe("through a real jsonb column (PGlite)", () => {
  it("stores and restores every kind of value", async () => {
    const db = new PGlite();
    try {
      await db.query("create table t (id int primary key, v jsonb not null)");
      const values: unknown[] = [
        { id: "plain", n: [1, 2.5, null, true], nested: { a: "b" } },
        undefined,
        "a\0b",
        { lone: "\ud800", nul: "\0", emoji: "😀" },
        { when: new Date(123), big: 2n ** 70n, m: new Map([["k", new Set([1])]]), u: undefined },
        { n: NaN, z: -0, inf: -Infinity },
        { [ENVELOPE_KEY]: 1, json: "2020-01-01T00:00:00.000Z", meta: { values: ["Date"] } },
        { "key.with.dots": new Date(5), zz: 1, a: 2, bb: [undefined] },
      ];
      for (const [id, value] of values.entries()) {
        await db.query("insert into t (id, v) values ($1, $2::jsonb)", [id, encodeJson(value)]);
      }
      const { rows } = await db.query<{ id: number; v: unknown }>(
        "select id, v from t order by id",
      );
      expect(rows.map((r) => decode(r.v))).toStrictEqual(values);
      await expect(db.query("select $1::jsonb", [JSON.stringify("a\0b")])).rejects.toThrow();
    } finally {
      await db.close();
    }
  });
});
