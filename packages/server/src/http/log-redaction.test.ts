import { describe, expect, it } from 'vitest'
import { redactUrl } from './log-redaction.ts'

describe('redactUrl', () => {
  it('blanks the automation token a WebSocket URL carries and keeps the rest', () => {
    expect(redactUrl('/api/v1/stream?channel=ch_X&token=s3cr3t&x=1')).toBe(
      '/api/v1/stream?channel=ch_X&token=[redacted]&x=1',
    )
    expect(redactUrl('/api/v1/stream?TOKEN=s3cr3t')).toBe('/api/v1/stream?TOKEN=[redacted]')
    expect(redactUrl('/api/v1/channels?notoken=1')).toBe('/api/v1/channels?notoken=1')
  })
})
