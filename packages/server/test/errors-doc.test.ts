import { readFileSync } from 'node:fs'
import { apiErrors } from '@parley/api'
import { protocolErrors } from '@parley/protocol'
import { describe, expect, it } from 'vitest'
import { cliErrors } from '../../cli/src/errors.ts'
import { serverErrors } from '../src/errors.ts'

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
/** Each table row: `| \`CODE\` | status | message | meaning |`. */
const rows = new Map(
  [...doc.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|\s*(\d+)\s*\|\s*(.*?)\s*\|/gm)].map((match) => [
    match[1] ?? '',
    { status: Number(match[2]), message: match[3] ?? '' },
  ]),
)
const documented = new Set(
  [...doc.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map((match) => match[1] ?? ''),
)

const registries = {
  protocol: protocolErrors,
  server: serverErrors,
  cli: cliErrors,
  api: apiErrors,
} as Record<string, Record<string, { status: number; message: string }>>

describe('docs/errors.md', () => {
  for (const [name, registry] of Object.entries(registries)) {
    it(`documents every ${name} error code`, () => {
      const missing = Object.keys(registry).filter((code) => !documented.has(code))
      expect(missing, `add these codes to docs/errors.md`).toEqual([])
    })
  }

  it('states each code’s status and message as its registry gives them', () => {
    const differing = Object.values(registries).flatMap((registry) =>
      Object.entries(registry).flatMap(([code, { status, message }]) => {
        const row = rows.get(code)
        if (row === undefined) return []
        return row.status === status && row.message === message
          ? []
          : [
              `${code}: the registry says ${status} “${message}”, docs/errors.md ${row.status} “${row.message}”`,
            ]
      }),
    )
    expect(differing).toEqual([])
  })

  it('reads every documented code’s row', () => {
    expect([...documented].filter((code) => !rows.has(code))).toEqual([])
  })

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
