export * from './categories.ts'
export * from './config.ts'
export * from './scan-rules.ts'
export { CONSENT_COOKIE } from './storage.ts'
