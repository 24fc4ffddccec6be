import { utf8 } from '@parley/protocol'
import { describe, expect, it } from 'vitest'
import { contentDigest, verifyContentDigest } from './content-digest.ts'

// RFC 9530 §2 and Appendix B: the body `{"hello": "world"}` followed by a newline.
const body = utf8('{"hello": "world"}\n')
const rfcSha256 = 'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:'

describe('Content-Digest', () => {
  it('computes the RFC 9530 sha-256 value of a body', async () => {
    expect(await contentDigest(body)).toBe(rfcSha256)
  })

  it('accepts a matching digest and ignores algorithms it does not know', async () => {
    expect(await verifyContentDigest(`unknown=:AAAA:, ${rfcSha256}`, body)).toEqual({
      ok: true,
      algorithms: ['sha-256'],
    })
  })

  it('rejects a digest of other bytes, a missing or malformed field, or no known algorithm', async () => {
    const other = utf8('{"hello": "world"}')
    const cases = [
      await verifyContentDigest(rfcSha256, other),
      await verifyContentDigest(undefined, body),
      await verifyContentDigest('sha-256=RK/0', body),
      await verifyContentDigest('sha-256="RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg="', body),
      await verifyContentDigest('md5=:AAAA:, constructor=:AAAA:', body),
      await verifyContentDigest(`${rfcSha256}, sha-512=:AAAA:`, body),
    ]
    for (const check of cases) expect(check.ok).toBe(false)
  })
})
