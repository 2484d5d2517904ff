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
  return validateNow(definition, values, message, status);
}

/**
 * The same, synchronously: for a handler that runs inside a storage transaction,
 * where nothing may await. A schema that answers with a Promise is a TypeError.
 */
export function validateSync(definition, values, message, status) {
  const result = validateNow(definition, values, message, status);
  if (typeof result?.then === "function") {
    result.catch(() => {});
    throw new TypeError("a schema validated asynchronously: inside a transaction, schemas must validate synchronously");
  }
  return result;
}

// Synchronous when every schema answers synchronously (zod, valibot without async
// pipes); a Promise of the same otherwise.
function validateNow(definition, values, message, status) {
  const { schema } = definition;
  if (isCoValueSchema(schema)) return values;
  if (values === null || typeof values !== "object" || Array.isArray(values)) {
    throw new JazzRequestError(message, status, { issues: [{ path: [], message: "Expected an object" }] });
  }
  if (isStandardSchema(schema)) {
    return settle([schema["~standard"].validate(values)], ([result]) => {
      if (result.issues) throw new JazzRequestError(message, status, { issues: issuesOf(result, []) });
      return result.value;
    });
  }
  const fields = Object.entries(schema).filter(([, fieldSchema]) => !isCoValueSchema(fieldSchema));
  return settle(
    fields.map(([field, fieldSchema]) => fieldSchema["~standard"].validate(values[field])),
    (results) => {
      const output = {};
      // A CoValue travels as CoJSON and is loaded (and checked) by jazz-tools.
      for (const [field, fieldSchema] of Object.entries(schema)) {
        if (isCoValueSchema(fieldSchema) && values[field] !== undefined) output[field] = values[field];
      }
      const issues = [];
      results.forEach((result, i) => {
        const [field] = fields[i];
        if (result.issues) issues.push(...issuesOf(result, [field]));
        else if (result.value !== undefined) output[field] = result.value;
      });
      if (issues.length > 0) throw new JazzRequestError(message, status, { issues });
      return output;
    },
  );
}

// then(results) now when no result is a Promise; after all of them otherwise.
function settle(results, then) {
  return results.some((r) => typeof r?.then === "function") ? Promise.all(results).then(then) : then(results);
}
