import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'
import base from './vitest.config.ts'

// The tests Stryker runs against each mutant: the in-process projects of vitest.config.ts
// (unit and integration, with their global setup and engine), never the system tests, whose
// real node processes take minutes per run. PARLEY_MUTATION_TARGET (set by the target's
// stryker.<target>.config.mjs) narrows them to the tests that measure that target.
const TESTS: Record<string, Record<string, string[]>> = {
  // The protocol package is measured on its own tests: the server's would hide what the
  // protocol's tests miss.
  protocol: { unit: ['packages/protocol/src/**/*.test.ts'] },
  server: {
    unit: ['packages/server/src/**/*.test.ts'],
    integration: ['packages/server/test/**/*.test.ts'],
  },
}

const target = process.env.PARLEY_MUTATION_TARGET ?? 'protocol'
const tests = TESTS[target]
if (tests === undefined)
  throw new Error(`no mutation target '${target}' (${Object.keys(TESTS).join(', ')})`)

const projects = (base.test?.projects ?? []) as TestProjectInlineConfiguration[]
const chosen = projects.flatMap((project) => {
  const include = tests[project.test?.name ?? '']
  return include === undefined ? [] : [{ ...project, test: { ...project.test, include } }]
})

export default defineConfig({
  test: { ...base.test, sequence: {}, projects: chosen },
})
