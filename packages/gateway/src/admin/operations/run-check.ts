import { z } from 'zod';
import { Agent } from 'undici';
import { runChecks } from '../../check/run-check.js';
import { findingsToJson } from '../../lib/findings.js';
import { defineOperation } from '../operation.js';
import { findingView } from '../views.js';

/** `portcullis check`, run by the gateway against itself (the key-age and audit checks have their own pages). */
export const runCheckOperation = defineOperation({
  id: 'runCheck',
  method: 'GET',
  path: '/check',
  summary: 'Run portcullis check against this gateway: TLS, admin exposure, master key, rate limits, stores',
  permission: 'check:run',
  scope: 'global',
  request: {},
  response: { status: 200, description: 'the findings, most severe first', schema: z.object({ findings: z.array(findingView) }) },
  handle: async (_call, { config, self }) => {
    const { url, ca } = self();
    const agent = new Agent({ connect: ca ? { ca } : {}, connectTimeout: 5_000 });
    try {
      const findings = await runChecks({ config, configPath: config.source, url, env: process.env, agent, ...(ca ? { ca } : {}) });
      return { findings: findingsToJson(findings) };
    } finally {
      await agent.close();
    }
  },
});
