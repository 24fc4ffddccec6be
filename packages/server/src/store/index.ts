export * from './database.ts'
export * from './jsonb.ts'
export * from './migrate.ts'
export type * from './tables.ts'
