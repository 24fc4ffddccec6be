import { globSync, readFileSync } from 'node:fs'
import { apiErrors } from '@parley/api'
import { protocolErrors } from '@parley/protocol'
import { describe, expect, it } from 'vitest'
import { cliErrors } from '../../cli/src/errors.ts'
import { serverErrors } from '../src/errors.ts'

const repository = new URL('../../../', import.meta.url).pathname
/** Tests that go through a whole registry (this one, the docs check) reach no code themselves. */
const REGISTRY_WIDE = new Set([
  'packages/server/test/errors-asserted.test.ts',
  'packages/server/test/errors-doc.test.ts',
])

/**
 * Codes no test can reach as a user or a peer would, each with the reason. Every other code
 * must be named by some test: a code that no test names is a refusal nobody has seen.
 */
const UNREACHABLE = new Map<string, string>([])

const registries = {
  protocol: protocolErrors,
  server: serverErrors,
  cli: cliErrors,
  api: apiErrors,
} as Record<string, Record<string, unknown>>

describe('registered error codes', () => {
  const tests = globSync('packages/*/{src,test}/**/*.test.ts', { cwd: repository })
    .filter((file) => !REGISTRY_WIDE.has(file))
    .map((file) => readFileSync(`${repository}${file}`, 'utf8'))

  it('reads the test files of every package', () => {
    expect(tests.length).toBeGreaterThan(50)
  })

  for (const [name, registry] of Object.entries(registries)) {
    it(`has every ${name} code named by a test, or allowed as unreachable with its reason`, () => {
      const unasserted = Object.keys(registry).filter(
        (code) =>
          !UNREACHABLE.has(code) && !tests.some((text) => new RegExp(`\\b${code}\\b`).test(text)),
      )
      expect(unasserted, 'write a test that reaches these codes').toEqual([])
    })
  }

  it('allows as unreachable only codes that are registered and that no test names', () => {
    const known = new Set(Object.values(registries).flatMap((registry) => Object.keys(registry)))
    for (const code of UNREACHABLE.keys()) {
      expect(known.has(code), code).toBe(true)
      expect(
        tests.some((text) => new RegExp(`\\b${code}\\b`).test(text)),
        code,
      ).toBe(false)
    }
  })
})
