// Route schemas: `{ schema, resolve? }` or a bare shape, where a shape maps field
// names to Standard Schemas (zod 4, valibot, arktype…), or the schema is itself
// one Standard Schema for the whole object.

import { JazzRequestError } from "./request-error.js";

const isStandardSchema = (s) => s !== null && (typeof s === "object" || typeof s === "function") && "~standard" in s;
/** A jazz-tools CoValue schema (co.map(…), co.list(…)…): loaded by the jazz path, not validated here. */
export const isCoValueSchema = (s) => s !== null && (typeof s === "object" || typeof s === "function") && s.collaborative === true;

/**
 * Normalises a route's request or response option to { schema, resolve, jazzResolve }.
 * jazzResolve is what jazz-tools uses: the given resolve with { schema }, true for a bare shape.
 */
export function parseDefinition(option, which) {
  if (option === null || typeof option !== "object") {
    throw new TypeError(`defineRequest: '${which}' must be { schema } or a shape of field schemas`);
  }
  const hasSchema =
    Object.prototype.hasOwnProperty.call(option, "schema") && !isStandardSchema(option) && !isCoValueSchema(option);
  const schema = hasSchema ? option.schema : option;
  const resolve = hasSchema ? option.resolve : undefined;
  if (!isStandardSchema(schema) && !isCoValueSchema(schema)) {
    for (const [field, fieldSchema] of Object.entries(schema)) {
      if (!isStandardSchema(fieldSchema) && !isCoValueSchema(fieldSchema)) {
        throw new TypeError(
          `defineRequest: '${which}.${field}' is neither a Standard Schema (zod 4, valibot, arktype…) nor a CoValue schema`,
        );
      }
    }
  }
  return { schema, resolve, jazzResolve: hasSchema ? option.resolve : true };
}

/** True when the definition holds CoValue schemas, which only the jazz-tools path can carry. */
export function usesCoValues(definition) {
  const { schema } = definition;
  return isCoValueSchema(schema) || (!isStandardSchema(schema) && Object.values(schema).some(isCoValueSchema));
}

function issuesOf(result, prefix) {
  return result.issues.map((issue) => ({
    path: [...prefix, ...(issue.path ?? []).map((p) => (typeof p === "object" && p !== null ? p.key : p))],
    message: issue.message,
  }));
}

/**
 * Validates values against a definition's schema. Resolves to the parsed output,
 * or throws JazzRequestError(message, status, { issues }).
 */
export async function validate(definition, values, message, status) {
  const { schema } = definition;
  if (isCoValueSchema(schema)) return values;
  if (values === null || typeof values !== "object" || Array.isArray(values)) {
    throw new JazzRequestError(message, status, { issues: [{ path: [], message: "Expected an object" }] });
  }
  if (isStandardSchema(schema)) {
    const result = await schema["~standard"].validate(values);
    if (result.issues) throw new JazzRequestError(message, status, { issues: issuesOf(result, []) });
    return result.value;
  }
  const output = {};
  const issues = [];
  for (const [field, fieldSchema] of Object.entries(schema)) {
    if (isCoValueSchema(fieldSchema)) {
      // A CoValue travels as CoJSON and is loaded (and checked) by jazz-tools.
      if (values[field] !== undefined) output[field] = values[field];
      continue;
    }
    const result = await fieldSchema["~standard"].validate(values[field]);
    if (result.issues) issues.push(...issuesOf(result, [field]));
    else if (result.value !== undefined) output[field] = result.value;
  }
  if (issues.length > 0) throw new JazzRequestError(message, status, { issues });
  return output;
}
