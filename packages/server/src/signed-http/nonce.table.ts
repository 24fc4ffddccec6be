/** A nonce of an accepted signed request, saved on close until its signature expires. */
export interface SignatureNoncesTable {
  /** `<keyid> <nonce>`, as the nonce cache holds it. */
  nonce: string
  expires_at: number
}

/** One row: whether `signature_nonces` holds every nonce the node accepted in its last run. */
export interface NonceMemoryTable {
  id: number
  complete: boolean
}

export interface NonceTables {
  signature_nonces: SignatureNoncesTable
  nonce_memory: NonceMemoryTable
}
