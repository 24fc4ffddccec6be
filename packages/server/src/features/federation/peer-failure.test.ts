import { describe, expect, it } from 'vitest'
import { ServerError } from '../../errors.ts'
import { peerFailure, peerRefused } from './peer-failure.ts'

const CHANNEL = 'ch_01JZ0000000000000000000000'

describe('peerFailure', () => {
  it('keeps the code, status and own reason, and the channel apart from them', () => {
    const unreachable = new ServerError('PEER_UNREACHABLE', {
      url: `http://127.0.0.1:9/federation/v1/channels/${CHANNEL}/heads`,
      reason: 'no answer within 10000 ms',
    })
    const failure = peerFailure(unreachable, CHANNEL)
    expect(failure).toEqual({
      code: 'PEER_UNREACHABLE',
      reason: 'no answer within 10000 ms',
      channel: CHANNEL,
    })
    const { channel: _kept, ...shown } = failure
    expect(JSON.stringify(shown)).not.toContain(CHANNEL)
  })

  it('keeps of a peer’s refusal its status and code, never its message', () => {
    const refused = peerRefused('http://127.0.0.1:9', 403, {
      error: { code: 'NOT_A_MEMBER', message: `usa is not a member of ${CHANNEL}` },
    })
    expect(peerFailure(refused)).toEqual({
      code: 'PEER_REFUSED',
      status: 403,
      reason: 'NOT_A_MEMBER',
    })
    const odd = peerRefused('http://127.0.0.1:9', 500, { error: { code: `<b>${CHANNEL}</b>` } })
    expect(JSON.stringify(peerFailure(odd))).not.toContain(CHANNEL)
  })

  it('says nothing of an error that is not one of Parley’s', () => {
    expect(peerFailure(new Error(`boom in ${CHANNEL}`))).toEqual({ code: 'INTERNAL' })
  })
})
