import type { JsonValue } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { operation } from './operation.ts'
import { PAGE_ERRORS, PageQuerySchema, pageOf } from './page.ts'

/** Any JSON value: what an audit entry or an alarm records differs with its action or kind. */
export const JsonValueSchema = Type.Unsafe<JsonValue>({ description: 'Any JSON value' })

/** One entry of the hash-chained audit log. */
export const AuditRecordSchema = Type.Object({
  seq: Type.Integer(),
  time: Type.Integer(),
  officer: Type.Union([Type.String(), Type.Null()]),
  party: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  details: Type.Record(
    Type.String(),
    Type.Union([Type.String(), Type.Integer(), Type.Boolean(), Type.Null()]),
    {
      description:
        'Integers, strings, booleans and nulls only: the row is hashed as canonical JSON',
    },
  ),
  prev: Type.Union([Type.String(), Type.Null()]),
  hash: Type.String(),
})
export type AuditRecordView = Static<typeof AuditRecordSchema>

/** The local audit log for admins, in pages (the shared page shape of `page.ts`). */
export const auditOperations = {
  listAudit: operation({
    method: 'GET',
    path: '/audit',
    tags: ['audit'],
    summary: 'A page of the audit log: your party’s entries (the automation credential: all)',
    auth: 'officer',
    querystring: PageQuerySchema,
    responses: { 200: pageOf('entries', AuditRecordSchema) },
    errors: ['FORBIDDEN_ROLE', ...PAGE_ERRORS],
  }),
}
