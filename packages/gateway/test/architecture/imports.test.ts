import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The import-direction rule of eslint.config.js (docs/architecture.md), run through ESLint's Node API
 * exactly as `npm run lint` runs it, on a file placed (virtually) in each layer. If the rule stopped
 * matching (a renamed folder, a broken glob), these tests fail instead of the build silently passing.
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function importErrors(file: string, specifier: string): Promise<string[]> {
  const code = `import { thing } from '${specifier}';\n\nexport const used = thing;\n`;
  const [result] = await eslint.lintText(code, { filePath: `${root}${file}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import direction (eslint.config.js)', () => {
  it('refuses a surface imported from a domain folder', async () => {
    const errors = await importErrors('packages/gateway/src/credentials/probe.ts', '../pipeline/authorize.js');
    expect(errors).toEqual([expect.stringContaining('A domain folder does not import a surface')]);
  });

  it('refuses a domain folder or a surface imported from the base layer', async () => {
    expect(await importErrors('packages/gateway/src/store/probe.ts', '../crypto/keyring.js')).toEqual([
      expect.stringContaining('The base layer (store, http, config, lib) imports neither'),
    ]);
    expect(await importErrors('packages/gateway/src/http/probe.ts', '../admin/routes.js')).toHaveLength(1);
  });

  it('refuses one surface importing another (only server, cli and demo may start what they compose)', async () => {
    expect(await importErrors('packages/gateway/src/admin/probe.ts', '../pipeline/authorize.js')).toEqual([
      expect.stringContaining('A surface does not import another surface'),
    ]);
    expect(await importErrors('packages/gateway/src/server/probe.ts', '../pipeline/authorize.js')).toEqual([]);
  });

  it("lets other surfaces import the admin API's published types, and nothing else of admin/", async () => {
    expect(await importErrors('packages/gateway/src/cli/probe.ts', '../admin/api-types.js')).toEqual([]);
    expect(await importErrors('packages/gateway/src/console/probe.ts', '../admin/api-types.js')).toEqual([]);
    expect(await importErrors('packages/gateway/src/cli/probe.ts', '../admin/registry.js')).toEqual([expect.stringContaining('A surface does not import another surface')]);
    expect(await importErrors('packages/gateway/src/credentials/probe.ts', '../admin/api-types.js')).toHaveLength(1);
  });

  it('refuses a deep import into another package, and the gateway from protocol or the SDK', async () => {
    expect(await importErrors('packages/gateway/src/admin/probe.ts', '@portcullis/protocol/src/problem.js')).toHaveLength(1);
    expect(await importErrors('packages/protocol/src/probe.ts', 'portcullis')).toHaveLength(1);
    expect(await importErrors('packages/client/src/probe.ts', 'portcullis/server')).toHaveLength(1);
  });

  it('allows imports that point down', async () => {
    for (const [file, specifier] of [
      ['packages/gateway/src/admin/probe.ts', '../credentials/consumers.js'],
      ['packages/gateway/src/credentials/probe.ts', '../store/sql.js'],
      ['packages/gateway/src/credentials/probe.ts', '../observe/audit.js'],
      ['packages/gateway/src/store/probe.ts', '../lib/errors.js'],
      ['packages/gateway/src/pipeline/probe.ts', '@portcullis/protocol'],
    ] as const) {
      expect(await importErrors(file, specifier), `${file} -> ${specifier}`).toEqual([]);
    }
  });
});
