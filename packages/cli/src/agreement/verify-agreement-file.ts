import { type AgreementVerification, verifyAgreement } from '@parley/protocol'
import { agreementHtml, embeddedAgreement } from './html.ts'

/** What a file looks like from its first bytes: an agreement (JSON or page), or not. */
export function agreementKind(head: string): 'json' | 'html' | undefined {
  if (head.startsWith('{"adoptions":')) return 'json'
  if (head.toLowerCase().startsWith('<!doctype html>')) return 'html'
  return undefined
}

/**
 * Verifies an agreement file: the JSON export, or its HTML page. A page must hold an agreement
 * that verifies and be, byte for byte, the page that agreement renders to, so a changed byte
 * in its script, style or markup fails too, at the byte it is.
 */
export async function verifyAgreementFile(
  bytes: Uint8Array,
  kind: 'json' | 'html',
): Promise<AgreementVerification> {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return { ok: false, where: 'the file', reason: 'not UTF-8' }
  }
  if (kind === 'json') return verifyAgreement(text)
  const embedded = embeddedAgreement(text)
  if (embedded === undefined) {
    return { ok: false, where: 'the page', reason: 'it holds no readable agreement' }
  }
  const result = await verifyAgreement(embedded)
  if (!result.ok) return { ...result, where: `the page’s agreement, ${result.where}` }
  const expected = new TextEncoder().encode(await agreementHtml(embedded))
  let at = 0
  while (at < bytes.length && at < expected.length && bytes[at] === expected[at]) at++
  if (at < bytes.length || at < expected.length) {
    return {
      ok: false,
      where: `byte ${at} of the page`,
      reason:
        'the page differs from the one its agreement renders to (script, style or markup changed)',
    }
  }
  return result
}
