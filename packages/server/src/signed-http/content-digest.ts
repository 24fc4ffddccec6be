import { bytesEqual, sha256 } from '@parley/protocol'
import { parseDictionary, serializeDictionary } from 'structured-headers'

// RFC 9530 algorithms a receiver checks; others in the field are ignored, as §2 allows.
const algorithms: Readonly<Record<string, (body: Uint8Array) => Promise<Uint8Array>>> = {
  'sha-256': sha256,
  'sha-512': async (body) =>
    new Uint8Array(await crypto.subtle.digest('SHA-512', body as Uint8Array<ArrayBuffer>)),
}

/** The `Content-Digest` field value (RFC 9530) Parley sends: `sha-256` over the exact body bytes. */
export async function contentDigest(body: Uint8Array): Promise<string> {
  const digest = (await sha256(body)) as Uint8Array<ArrayBuffer>
  return serializeDictionary({ 'sha-256': [digest, new Map()] })
}

export type ContentDigestCheck =
  | { readonly ok: true; readonly algorithms: readonly string[] }
  | { readonly ok: false; readonly reason: string }

/**
 * Checks a `Content-Digest` field value against the body: every digest of an algorithm this
 * node knows must match, and there must be at least one.
 */
export async function verifyContentDigest(
  field: string | undefined,
  body: Uint8Array,
): Promise<ContentDigestCheck> {
  if (field === undefined) return { ok: false, reason: 'no Content-Digest field' }
  let dictionary: ReturnType<typeof parseDictionary>
  try {
    dictionary = parseDictionary(field)
  } catch {
    return { ok: false, reason: 'Content-Digest is not a structured dictionary' }
  }
  const checked: string[] = []
  for (const [name, member] of dictionary) {
    // hasOwn, so that a member named `constructor` is not mistaken for an algorithm
    if (!Object.hasOwn(algorithms, name)) continue
    const digest = algorithms[name]!
    const value = member[0]
    if (!(value instanceof ArrayBuffer)) {
      return { ok: false, reason: `Content-Digest ${name} is not a byte sequence` }
    }
    const expected = await digest(body)
    if (!bytesEqual(new Uint8Array(value), expected)) {
      return { ok: false, reason: `Content-Digest ${name} does not match the body` }
    }
    checked.push(name)
  }
  if (checked.length === 0) return { ok: false, reason: 'Content-Digest has no sha-256 or sha-512' }
  return { ok: true, algorithms: checked }
}
