import { readFileSync } from 'node:fs'
import { EVENT_TYPES } from '@parley/protocol'
import { describe, expect, it } from 'vitest'
import { protocolSchemaDocument } from './support/protocol-schemas.ts'

describe('docs/schemas/protocol-v1.json', () => {
  const committed = JSON.parse(
    readFileSync(new URL('../../../docs/schemas/protocol-v1.json', import.meta.url), 'utf8'),
  )

  it('is what the TypeBox schemas generate (run node scripts/protocol-schemas.ts)', () => {
    expect(committed).toEqual(protocolSchemaDocument())
  })

  it('has a body schema for every v1 event type, each closed to unknown fields', () => {
    expect(Object.keys(committed.bodies).sort()).toEqual([...EVENT_TYPES].sort())
    for (const schema of Object.values(committed.bodies) as { additionalProperties?: boolean }[]) {
      expect(schema.additionalProperties).toBe(false)
    }
  })
})
