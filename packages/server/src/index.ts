export * from './app.ts'
export * from './config.ts'
export * from './errors.ts'
export * from './features/audit/audit.service.ts'
export type { NoticeAlert } from './features/escalation/escalation.service.ts'
export {
  addPeer,
  checkPeer,
  listPeerNodes,
  peerUrl,
  removePeer,
} from './features/federation/peers.service.ts'
export * from './features/officers/officers.service.ts'
export { type PasswordHasher, passwordHasher } from './features/officers/password.ts'
export { exportConsentLines } from './features/privacy/consent.service.ts'
export {
  type ApiTokenView,
  createToken,
  listTokens,
  revokeToken,
  type TokensContext,
} from './features/tokens/tokens.service.ts'
export * from './ledger/index.ts'
export * from './main.ts'
export * from './node-crypto.ts'
export * from './node-identity.ts'
export * from './read-models.ts'
export * from './signed-http/content-digest.ts'
export * from './signed-http/federation-client.ts'
export * from './signed-http/http-signatures.ts'
export * from './signed-http/nonce-cache.ts'
export * from './signed-http/peer-trust.ts'
export * from './store/index.ts'
