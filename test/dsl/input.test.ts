import type { StandardSchemaV1 } from "@standard-schema/spec";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ValidationError } from "../../src/core/errors.js";
import { validateInput, workflow } from "../../src/dsl/index.js";

const order = z.object({
  id: z.string(),
  items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })),
});

describe("validateInput", () => {
  it("returns the input unchanged when the workflow has no schema", async () => {
    const input = { anything: 1 };
    await expect(validateInput(workflow("w").definition, input)).resolves.toBe(input);
  });

  it("returns the validated value", async () => {
    const wf = workflow("orders", { input: order });
    const input = { id: "o1", items: [{ sku: "a", qty: 2 }] };
    await expect(validateInput(wf.definition, input)).resolves.toEqual(input);
  });

  it("returns the transformed value", async () => {
    const schema = z.object({ n: z.string().transform((s) => Number(s)) });
    const wf = workflow("w", { input: schema });
    await expect(validateInput(wf.definition, { n: "42" })).resolves.toEqual({ n: 42 });
  });

  it("rejects with ValidationError naming the workflow and the issues", async () => {
    const wf = workflow("orders", { input: order });
    const err: unknown = await validateInput(wf.definition, {
      id: 5,
      items: [{ sku: "a", qty: -1 }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.code).toBe("VALIDATION_ERROR");
    expect(v.message).toContain(`Invalid input for workflow "orders"`);
    expect(v.message).toContain("id: ");
    expect(v.message).toContain("items.0.qty: ");
    expect(v.issues.map((i) => i.path)).toEqual([["id"], ["items", 0, "qty"]]);
    expect(v.issues.every((i) => typeof i.message === "string" && i.message !== "")).toBe(true);
  });

  it("supports async schemas and issues without a path", async () => {
    const schema: StandardSchemaV1<unknown, string> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: async (value) =>
          typeof value === "string"
            ? { value: value.toUpperCase() }
            : { issues: [{ message: "expected a string" }] },
      },
    };
    const wf = workflow("w", { input: schema });
    await expect(validateInput(wf.definition, "abc")).resolves.toBe("ABC");
    const err = (await validateInput(wf.definition, 1).catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe(`Invalid input for workflow "w": expected a string`);
    expect(err.issues).toEqual([{ message: "expected a string" }]);
  });

  it("supports zod async refinements", async () => {
    const schema = z.string().refine(async (s) => s.startsWith("ok"), "must start with ok");
    const wf = workflow("w", { input: schema });
    await expect(validateInput(wf.definition, "ok!")).resolves.toBe("ok!");
    await expect(validateInput(wf.definition, "no")).rejects.toThrow(/must start with ok/);
  });
});
