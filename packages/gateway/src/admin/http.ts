import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { formatPath } from '../config/load.js';
import { findDuplicateMember } from '../lib/json-duplicates.js';
import { problem } from '../http/problems.js';
import { PortcullisError } from '../lib/errors.js';
import type { AdminErrorCode } from '../lib/errors.js';
import type { Problem } from '../http/problems.js';

const MAX_ADMIN_BODY = 64 * 1024;

/** A path segment naming a record (consumer, key, client). */
export const ID = '([A-Za-z0-9_]{1,64})';
/** How long a rotated-out secret keeps working unless the caller says otherwise. */
export const DEFAULT_GRACE_MS = 24 * 3_600_000;

/** A refusal raised inside an admin handler, carrying its problem; admin/errors.ts sends it as it is. */
export class AdminRefusal extends PortcullisError<AdminErrorCode> {
  override readonly name = 'AdminRefusal';
  constructor(readonly problem: Problem) {
    super('admin_refused', problem.code);
  }
}

export function refuse(code: Problem['code'], detail?: string, extensions?: Record<string, unknown>): never {
  throw new AdminRefusal({ ...problem(code, detail), ...(extensions ? { extensions } : {}) });
}

/** Reads a JSON body (bounded) and validates it; every problem is reported with its field path. */
export async function readJson<T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.output<T>> {
  const type = req.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY) refuse('payload-too-large');
    chunks.push(chunk);
  }
  if (size > 0 && !/^application\/json\s*(;|$)/i.test(type)) refuse('unsupported-media-type', 'Send the body as application/json.');
  let input: unknown = {};
  if (size > 0) {
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      input = JSON.parse(text);
    } catch {
      refuse('bad-request', 'The body is not valid JSON.');
    }
    // The last of two same-named members would win silently: refuse instead, naming the member.
    const duplicate = findDuplicateMember(text);
    if (duplicate) {
      refuse('bad-request', 'The request body is not valid.', {
        errors: [{ pointer: jsonPointer(duplicate), field: formatPath(duplicate), detail: `duplicate member "${String(duplicate.at(-1))}": send each member once` }],
      });
    }
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const errors = result.error.issues.flatMap((issue) =>
      // An unknown member is reported at the member itself, not at the object that holds it.
      (issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path]).map((path) => ({
        pointer: jsonPointer(path),
        field: formatPath(path),
        detail: issue.code === 'unrecognized_keys' ? `unknown member "${String(path.at(-1))}"` : issue.message,
      })),
    );
    refuse('bad-request', 'The request body is not valid.', { errors });
  }
  return result.data;
}

/** RFC 6901: '' is the whole document; `~` and `/` in a member name are escaped. */
function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
