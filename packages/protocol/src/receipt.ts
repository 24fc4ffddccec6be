import { Compile } from 'typebox/compile'
import { canonicalJson } from './canonical-json.ts'
import { isProtocolError, ProtocolError } from './errors.ts'
import { describeSchemaError, type Signer } from './event.ts'
import {
  type PartyKey,
  type Receipt,
  ReceiptSchema,
  type SignedReceipt,
  SignedReceiptSchema,
} from './schemas.ts'
import { domains, signObject, verifyObject } from './signing.ts'
import { pinnedKeyAt } from './validate.ts'

const receiptShape = Compile(ReceiptSchema)
const signedReceiptShape = Compile(SignedReceiptSchema)

/** Result of {@link verifyReceipt}. */
export type ReceiptVerification =
  | { ok: true; receipt: Receipt }
  | { ok: false; code: 'RECEIPT_INVALID'; message: string }

/**
 * Signs a receipt under `parley/receipt/v1` (DESIGN §4.5). `key` is taken from the signer when
 * left out. Throws `RECEIPT_INVALID` for a receipt that would not verify.
 * @example await signReceipt({ events: [id], by: 'rus', receivedAt: clock.now() }, signer)
 */
export async function signReceipt(
  receipt: Omit<Receipt, 'key'> & { key?: string },
  signer: Signer,
): Promise<SignedReceipt> {
  const key = receipt.key ?? signer.keyId
  if (key !== signer.keyId) {
    throw new ProtocolError('RECEIPT_INVALID', {
      reason: `it names key ${key} but is signed with ${signer.keyId}`,
    })
  }
  const full = { ...receipt, key }
  assertReceiptShape(full, receiptShape)
  const sig = await signObject(domains.receipt, full, signer.privateKey)
  return { receipt: full as Receipt, sig }
}

/**
 * Verifies a signed receipt: its shape, that `key` is a pinned key of `by` valid at
 * `receivedAt`, and the signature. Never throws for bad input.
 */
export async function verifyReceipt(
  signed: unknown,
  keys: (party: string) => readonly PartyKey[],
): Promise<ReceiptVerification> {
  try {
    assertReceiptShape(signed, signedReceiptShape)
    const { receipt, sig } = signed as SignedReceipt
    const key = pinnedKeyAt(keys(receipt.by), receipt.by, receipt.key, receipt.receivedAt)
    if (!(await verifyObject(domains.receipt, receipt, sig, key.publicKey))) {
      throw new ProtocolError('RECEIPT_INVALID', {
        reason: `signature does not verify with ${key.id}`,
      })
    }
    return { ok: true, receipt }
  } catch (error) {
    if (!isProtocolError(error)) throw error
    const reason = error.code === 'RECEIPT_INVALID' ? error.details.reason : error.message
    const invalid = new ProtocolError('RECEIPT_INVALID', { reason })
    return { ok: false, code: 'RECEIPT_INVALID', message: invalid.message }
  }
}

function assertReceiptShape(
  value: unknown,
  shape: typeof receiptShape | typeof signedReceiptShape,
): void {
  try {
    canonicalJson(value)
  } catch (error) {
    if (!isProtocolError(error)) throw error
    throw new ProtocolError('RECEIPT_INVALID', { reason: error.message })
  }
  if (!shape.Check(value)) {
    throw new ProtocolError('RECEIPT_INVALID', { reason: describeSchemaError(shape.Errors(value)) })
  }
}
