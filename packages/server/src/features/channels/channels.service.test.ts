import { ChannelIdSchema } from '@parley/protocol'
import { Value } from 'typebox/value'
import { describe, expect, it } from 'vitest'
import { newChannelId } from './channels.service.ts'

describe('newChannelId', () => {
  it('makes protocol channel ids, each different', () => {
    const ids = Array.from({ length: 2000 }, newChannelId)
    for (const id of ids) expect(Value.Check(ChannelIdSchema, id), id).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
  })
})
