import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@portcullis/source'] },
  ssr: { resolve: { conditions: ['@portcullis/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
