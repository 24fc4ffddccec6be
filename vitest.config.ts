import { defineConfig } from 'vitest/config'

// One config for the workspace: unit tests sit beside code, integration tests in packages/server/test.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
