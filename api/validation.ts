// Fastify's validator compiler for the API. Bodies are checked exactly as sent: no coercion and no
// stripping of unknown fields (Fastify's default ajv does both, silently). Path and query values
// arrive as strings and are converted only when they are plainly written numbers or booleans:
// TypeBox's own Value.Convert would read "1.5" as 1, "0x10" as 16 and "true" as 1.
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

function convertScalar(schema: { type?: unknown }, value: string): unknown {
  switch (schema.type) {
    case 'integer': return INTEGER.test(value) ? Number(value) : value;
    case 'number': return NUMBER.test(value) ? Number(value) : value;
    case 'boolean': return value === 'true' ? true : value === 'false' ? false : value;
    default: return value;
  }
}

/** Path and query objects are flat: convert each string field by its property's type. */
function convertFlatStrings(schema: TSchema, value: unknown): unknown {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (!properties || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const converted: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, field] of Object.entries(converted)) {
    const property = properties[key];
    if (property && typeof field === 'string') converted[key] = convertScalar(property, field);
  }
  return converted;
}

export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  const prepare = httpPart === 'body' ? (value: unknown) => value : (value: unknown) => convertFlatStrings(schema, value);
  return (value: unknown) => {
    const prepared = prepare(value);
    if (validator.Check(prepared)) return { value: prepared };
    return { error: [...validator.Errors(prepared)] as unknown as Error };
  };
};
