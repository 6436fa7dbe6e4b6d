/**
 * Checks an answer to a human input request against the request.
 * @module
 */
import { ValidationError, type ValidationIssue } from "../core/errors.js";
import type { PendingInput } from "./signals.js";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function fail(name: string, issues: ValidationIssue[]): never {
  throw new ValidationError(
    `Invalid input "${name}": ${issues.map((i) => (i.path?.length ? `${i.path.join(".")}: ` : "") + i.message).join("; ")}`,
    issues,
  );
}

/** Returns the normalized answer, or throws ValidationError naming every problem. */
export function checkInputResponse(request: PendingInput, data: unknown): unknown {
  const { name, type } = request;
  const choices = (request.choices ?? []).map((c) => c.value);
  switch (type) {
    case "approval": {
      if (data === true || data === "approved") return "approved";
      if (data === false || data === "rejected") return "rejected";
      if (
        typeof data === "object" &&
        data !== null &&
        typeof (data as { approved?: unknown }).approved === "boolean"
      )
        return (data as { approved: boolean }).approved ? "approved" : "rejected";
      return fail(name, [
        { message: 'an approval takes true, false, "approved", "rejected" or { approved }' },
      ]);
    }
    case "single_choice":
      if (typeof data !== "string" || !choices.includes(data))
        return fail(name, [
          { message: `${JSON.stringify(data)} is not one of ${JSON.stringify(choices)}` },
        ]);
      return data;
    case "multi_choice": {
      if (!Array.isArray(data))
        return fail(name, [{ message: "a multi_choice input takes an array of choices" }]);
      const bad = data.filter((d) => typeof d !== "string" || !choices.includes(d));
      if (bad.length)
        return fail(name, [
          { message: `${JSON.stringify(bad)} not among ${JSON.stringify(choices)}` },
        ]);
      return data;
    }
    case "free_text":
      if (typeof data !== "string")
        return fail(name, [{ message: "a free_text input takes a string" }]);
      return data;
    case "form":
      return checkForm(request, data);
  }
}

function checkForm(request: PendingInput, data: unknown): Record<string, unknown> {
  if (typeof data !== "object" || data === null || Array.isArray(data))
    return fail(request.name, [{ message: "a form input takes an object of field values" }]);
  const values = data as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  const fields = request.fields ?? [];
  for (const f of fields) {
    const v = values[f.name];
    const path = [f.name];
    if (v === undefined || v === null || v === "") {
      if (f.required) issues.push({ message: "is required", path });
      continue;
    }
    const opts = f.options ?? [];
    const ok = (() => {
      switch (f.type) {
        case "text":
        case "textarea":
          return typeof v === "string";
        case "email":
          return typeof v === "string" && EMAIL.test(v);
        case "number":
          return typeof v === "number" && Number.isFinite(v);
        case "boolean":
          return typeof v === "boolean";
        case "date":
          return (
            (v instanceof Date && !Number.isNaN(v.getTime())) ||
            (typeof v === "string" && !Number.isNaN(Date.parse(v)))
          );
        case "select":
          return typeof v === "string" && (opts.length === 0 || opts.includes(v));
        case "multiselect":
          return (
            Array.isArray(v) &&
            v.every((x) => typeof x === "string" && (opts.length === 0 || opts.includes(x)))
          );
      }
    })();
    if (!ok) issues.push({ message: `is not a valid ${f.type}`, path });
  }
  const known = new Set(fields.map((f) => f.name));
  for (const k of Object.keys(values))
    if (!known.has(k)) issues.push({ message: "is not a field of this form", path: [k] });
  if (issues.length) return fail(request.name, issues);
  return values;
}
