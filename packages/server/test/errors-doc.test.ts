import { readFileSync } from 'node:fs'
import { protocolErrors } from '@parley/protocol'
import { describe, expect, it } from 'vitest'
import { cliErrors } from '../../cli/src/errors.ts'
import { serverErrors } from '../src/errors.ts'

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
const documented = new Set(
  [...doc.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map((match) => match[1] ?? ''),
)

const registries = { protocol: protocolErrors, server: serverErrors, cli: cliErrors }

describe('docs/errors.md', () => {
  for (const [name, registry] of Object.entries(registries)) {
    it(`documents every ${name} error code`, () => {
      const missing = Object.keys(registry).filter((code) => !documented.has(code))
      expect(missing, `add these codes to docs/errors.md`).toEqual([])
    })
  }

  it('documents no code that no registry defines', () => {
    const known = new Set(Object.values(registries).flatMap((r) => Object.keys(r)))
    expect([...documented].filter((code) => !known.has(code))).toEqual([])
  })

  it('never gives one code two meanings across packages', () => {
    const seen = new Map<string, string>()
    const clashes: string[] = []
    for (const [name, registry] of Object.entries(registries)) {
      for (const code of Object.keys(registry)) {
        const first = seen.get(code)
        if (first !== undefined) clashes.push(`${code} in ${first} and ${name}`)
        seen.set(code, name)
      }
    }
    expect(clashes).toEqual([])
  })
})
