import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import { ApiErrorSchema, errorCodes, type Operation, operations } from '@parley/api'
import { describeSchemaError, protocolErrors } from '@parley/protocol'
import type { FastifySchemaCompiler } from 'fastify'
import { type TSchema, type TUndefined, Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { serverErrors } from '../errors.ts'

const registries: readonly Readonly<Record<string, { readonly status: number }>>[] = [
  serverErrors,
  protocolErrors,
]

/** The HTTP status a registered code answers with; a code no registry holds fails start-up. */
function statusOf(code: string): number {
  for (const registry of registries) {
    if (Object.hasOwn(registry, code)) return registry[code]!.status
  }
  throw new Error(`error code ${code} is in no registry (errors.ts)`)
}

/**
 * What any route can answer before it runs: Node's HTTP parser refuses a request that comes too
 * slowly or with header fields too large (routes that take input add REQUEST_INVALID).
 */
export const CONNECTION_ERRORS = ['REQUEST_TIMEOUT', 'HEADERS_TOO_LARGE'] as const

/**
 * The error answers of a route that can refuse with these codes: one per status, each the
 * ApiError schema, its description naming the codes.
 */
export function errorResponses(codes: readonly string[]): Record<number, TSchema> {
  const byStatus = new Map<number, string[]>()
  for (const code of codes) {
    const status = statusOf(code)
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries(
    [...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([status, named]) => [status, { ...ApiErrorSchema, description: named.join(', ') }]),
  )
}

type SuccessResponses<O extends Operation> = {
  [S in keyof O['responses']]: O['responses'][S] extends TSchema ? O['responses'][S] : TUndefined
}

/** A route schema as Fastify's type provider reads it: what the handler gets and returns. */
type RouteSchemaOf<O extends Operation> = {
  readonly tags: readonly string[]
  readonly response: SuccessResponses<O>
} & (O extends { readonly params: infer S extends TSchema } ? { readonly params: S } : unknown) &
  (O extends { readonly querystring: infer S extends TSchema }
    ? { readonly querystring: S }
    : unknown) &
  (O extends { readonly body: infer S extends TSchema } ? { readonly body: S } : unknown)

const names = new Map<Operation, string>(
  Object.entries(operations as Record<string, Operation>).map(([name, op]) => [op, name]),
)

/**
 * The Fastify schema of an operation of the route table (`@parley/api`): the server validates
 * with its schemas, and OpenAPI documents its success answers and every error it can answer,
 * with the ApiError schema. Its type states the success answers only, so that handlers are
 * checked against what they return.
 */
export function schemaOf<const O extends Operation>(op: O): RouteSchemaOf<O> {
  const operationId = names.get(op)
  if (operationId === undefined)
    throw new Error(`${op.method} ${op.path} is not in the route table`)
  const success = Object.fromEntries(
    Object.entries(op.responses).map(([status, schema]) => [
      status,
      schema ?? Type.Null({ description: 'No content' }),
    ]),
  )
  return {
    operationId,
    tags: op.tags,
    ...(op.summary === undefined ? {} : { summary: op.summary }),
    ...(op.description === undefined ? {} : { description: op.description }),
    ...(op.auth === 'officer' ? { security: [{ session: [] }, { apiToken: [] }] } : {}),
    ...(op.params === undefined ? {} : { params: op.params }),
    ...(op.querystring === undefined ? {} : { querystring: op.querystring }),
    ...(op.body === undefined ? {} : { body: op.body }),
    response: { ...success, ...errorResponses(errorCodes(op)) },
  } as unknown as RouteSchemaOf<O>
}

/**
 * Fastify's TypeBox validator, except that a union of objects told apart by `type` (what an
 * officer composes) is checked against the one branch its `type` names: a refusal then names
 * the field that is wrong in that body, not the first branch that did not match.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = (route) => {
  const branches = branchesByType(route.schema)
  if (branches === undefined) return TypeBoxValidatorCompiler(route)
  const checks = new Map([...branches].map(([type, schema]) => [type, Compile(schema)]))
  const allowed = [...checks.keys()]
  return (value) => {
    const type = (value as { type?: unknown } | null)?.type
    const check = typeof type === 'string' ? checks.get(type) : undefined
    if (check === undefined) {
      const message = `must be one of ${allowed.map((name) => JSON.stringify(name)).join(', ')}`
      return { error: [refusal('/type', message, 'enum', { allowedValues: allowed })] }
    }
    if (check.Check(value)) return { value }
    const described = describeSchemaError(check.Errors(value))
    const at = described.indexOf(': ')
    const path = described.slice(0, at)
    return { error: [refusal(path === '/' ? '' : path, described.slice(at + 2))] }
  }
}

function refusal(instancePath: string, message: string, keyword = 'schema', params = {}) {
  return { keyword, instancePath, schemaPath: '#', params, message }
}

/** The branches of a union of objects whose `type` is a constant, by that constant. */
function branchesByType(schema: unknown): Map<string, TSchema> | undefined {
  const anyOf = (schema as { anyOf?: unknown } | null)?.anyOf
  if (!Array.isArray(anyOf) || anyOf.length === 0) return undefined
  const branches = new Map<string, TSchema>()
  for (const branch of anyOf as { properties?: { type?: { const?: unknown } } }[]) {
    const type = branch.properties?.type?.const
    if (typeof type !== 'string') return undefined
    branches.set(type, branch as TSchema)
  }
  return branches
}
