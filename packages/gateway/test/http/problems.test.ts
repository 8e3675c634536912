import { readFileSync } from 'node:fs';
import { PROBLEM_CODES, problemType } from '@portcullis/protocol';
import { describe, expect, it } from 'vitest';
import { PROBLEMS } from '../../src/http/problems.js';

/**
 * docs/errors.md and the code's problem list stay in step (as fastify's test/internals/errors.test.js
 * does for its error codes): every code is documented once, with its status and title, and the docs
 * name no code that does not exist.
 */
const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
const codesSection = doc.slice(doc.indexOf('\n## Codes\n'));

/** `### \`code\`` followed by the line `urn:...:code` · **status** · "title". */
const documented = [...codesSection.matchAll(/^### `([a-z-]+)`\n\n`([^`]+)` · \*\*(\d{3})\*\* · "([^"]+)"$/gm)].map(([, code, type, status, title]) => ({
  code,
  type,
  status: Number(status),
  title,
}));

describe('docs/errors.md', () => {
  it('has a Codes section with one entry per heading', () => {
    expect(codesSection.length).toBeGreaterThan(20);
    expect(documented).toHaveLength([...codesSection.matchAll(/^### /gm)].length);
  });

  it('documents exactly the codes of PROBLEM_CODES, in the same order', () => {
    expect(documented.map((d) => d.code)).toEqual([...PROBLEM_CODES]);
  });

  it('gives each code the type, status and title the gateway sends', () => {
    for (const { code, type, status, title } of documented) {
      const kind = PROBLEMS[code as keyof typeof PROBLEMS];
      expect({ code, type, status, title }).toEqual({ code, type: problemType(code as (typeof PROBLEM_CODES)[number]), status: kind.status, title: kind.title });
    }
  });
});
