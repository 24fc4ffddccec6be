import { describe, expect, it } from 'vitest'
import { truncateIp } from './consent.service.ts'

describe('truncateIp', () => {
  it('keeps an IPv4 address to its /24', () => {
    expect(truncateIp('203.0.113.77')).toBe('203.0.113.0')
    expect(truncateIp('::ffff:198.51.100.9')).toBe('198.51.100.0')
  })

  it('keeps an IPv6 address to its /48, however it is written', () => {
    expect(truncateIp('2001:db8:85a3:1234:5678:9abc:def0:1')).toBe('2001:db8:85a3::')
    expect(truncateIp('2001:0db8:0000::7')).toBe('2001:db8:0::')
    expect(truncateIp('::1')).toBe('0:0:0::')
    expect(truncateIp('fe80::1%eth0')).toBe('fe80:0:0::')
  })

  it('records what is no address as unknown', () => {
    expect(truncateIp('not-an-ip')).toBe('unknown')
    expect(truncateIp('1:2:3:4:5:6:7:8:9')).toBe('unknown')
  })
})
