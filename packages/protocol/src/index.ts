export * from './bytes.ts'
export * from './canonical-json.ts'
export * from './crypto.ts'
export * from './errors.ts'
