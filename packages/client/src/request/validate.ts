import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ValidationError } from '../errors.js';

/**
 * Validates with any Standard Schema (zod, valibot, arktype). The error lists the issues' messages and
 * paths, never the value, which may hold personal data or a secret.
 */
export async function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  code: 'invalid_input' | 'invalid_response',
  what: string,
): Promise<StandardSchemaV1.InferOutput<S>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    const issues = result.issues.map((issue) => ({
      message: issue.message,
      ...(issue.path ? { path: issue.path.map((p) => (typeof p === 'object' ? p.key : p)) } : {}),
    }));
    const summary = issues
      .slice(0, 5)
      .map((i) => `${i.path?.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new ValidationError(code, `${what} does not match its schema: ${summary}`, issues);
  }
  return result.value as StandardSchemaV1.InferOutput<S>;
}
