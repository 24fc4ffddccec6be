export * from './categories.ts'
export * from './config.ts'
export { CONSENT_COOKIE } from './storage.ts'
