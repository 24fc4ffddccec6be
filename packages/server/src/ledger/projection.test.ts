import { describe, expect, it } from 'vitest'
import type { StoredEvent } from './append-types.ts'
import { type EventProjection, ProjectionRegistry } from './projection.ts'

const projection = (name: string, tables: string[], seen: string[] = []): EventProjection => ({
  name,
  types: ['channel.join'],
  tables,
  apply: async () => {
    seen.push(name)
  },
})

describe('ProjectionRegistry', () => {
  it('refuses a second owner for a projection name or a table', () => {
    const registry = new ProjectionRegistry().addEvents(projection('channels', ['channels']))
    expect(() => registry.addEvents(projection('channels', ['other']))).toThrow(
      expect.objectContaining({ code: 'PROJECTION_CONFLICT', details: { what: 'channels' } }),
    )
    expect(() =>
      registry.addReceipts({ name: 'deadlines', tables: ['channels'], apply: async () => {} }),
    ).toThrow(expect.objectContaining({ code: 'PROJECTION_CONFLICT' }))
    // A refused registration claims nothing.
    expect(registry.tables).toEqual(['channels'])
    expect(registry.projectsReceipts).toBe(false)
  })

  it('runs the projections of an event type in registration order, and none of other types', async () => {
    const seen: string[] = []
    const registry = new ProjectionRegistry()
      .addEvents(projection('first', ['a'], seen))
      .addEvents(projection('second', ['b', 'c'], seen))
    const join = { event: { type: 'channel.join' } } as StoredEvent
    const post = { event: { type: 'message.post' } } as StoredEvent
    await registry.applyEvent(undefined as never, join, { hosted: [] })
    await registry.applyEvent(undefined as never, post, { hosted: [] })
    expect(seen).toEqual(['first', 'second'])
    expect(registry.tables).toEqual(['a', 'b', 'c'])
  })
})
