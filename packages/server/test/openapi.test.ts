import SwaggerParser from '@apidevtools/swagger-parser'
import { errorCodes, type Operation, operations } from '@parley/api'
import { protocolErrors } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serverErrors } from '../src/errors.ts'
import { officerRoutes } from '../src/features/access/access.plugin.ts'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'

interface DocumentedOperation {
  readonly operationId?: string
  readonly responses: Record<
    string,
    { description: string; content?: Record<string, { schema: unknown }> }
  >
}
type Document = { paths: Record<string, Record<string, DocumentedOperation>> }

const registry: Record<string, { status: number }> = { ...serverErrors, ...protocolErrors }
const table = Object.entries(operations as Record<string, Operation>)
/** `/channels/:channel` as OpenAPI writes it. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}')

/** Statuses the protocol fixes for a route against its code's registry status (DESIGN §4.6). */
const PROTOCOL_STATUSES: Record<string, Record<string, number>> = {
  'POST /federation/v1/hello': { PARTY_NOT_HOSTED: 404 },
}

describe('the OpenAPI document', () => {
  let t: AuthTestApp
  let doc: Document
  const every = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    )

  beforeAll(async () => {
    t = await startAuthApp()
    doc = (await t.app.inject({ method: 'GET', url: '/api/docs/json' })).json()
  })
  afterAll(() => t.close())

  it('is valid OpenAPI, as a third-party validator reads it', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined()
  })

  it('documents every operation’s 4xx answers and 503, each with the one ApiError schema', () => {
    const errorSchemas = new Set<string>()
    const undocumented: string[] = []
    for (const { path, method, op } of every()) {
      const statuses = Object.keys(op.responses).map(Number)
      const name = `${method.toUpperCase()} ${path}`
      if (!statuses.some((status) => status >= 400 && status < 500))
        undocumented.push(`${name}: no 4xx`)
      // The descriptor is built at start-up: no input, no database, nothing to be unavailable.
      if (path !== '/.well-known/parley' && !statuses.includes(503))
        undocumented.push(`${name}: no 503`)
      for (const status of statuses.filter((s) => s >= 400)) {
        const response = op.responses[status]!
        const { description: _codes, ...schema } = (response.content?.['application/json']
          ?.schema ?? {}) as { description?: string }
        errorSchemas.add(JSON.stringify(schema))
        for (const code of response.description.split(', ')) {
          const fixed = PROTOCOL_STATUSES[name]?.[code]
          expect(fixed ?? registry[code]?.status, `${name} ${status} lists ${code}`).toBe(status)
        }
      }
    }
    expect(undocumented).toEqual([])
    expect(every().length).toBeGreaterThanOrEqual(45)
    expect(errorSchemas.size).toBe(1)
    const [only] = [...errorSchemas].map((text) => JSON.parse(text))
    expect(only).toMatchObject({
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          required: ['code', 'message'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
        },
      },
    })
  })

  it('holds every operation of the route table under its name, and no officer route beside it', () => {
    const documented = every().filter(({ path }) => path.startsWith('/api/v1/'))
    const expected = table
      .filter(([, op]) => op.websocket !== true)
      .map(([name, op]) => `${name} ${op.method} /api/v1${openApiPath(op.path)}`)
      .sort()
    const found = documented
      .map(({ path, method, op }) => `${op.operationId} ${method.toUpperCase()} ${path}`)
      .sort()
    expect(found).toEqual(expected)
  })

  it('states who may call each operation as the node’s routes do', () => {
    const officer = officerRoutes(t.app).map((route) => `${route.method} ${route.url}`)
    const expected = table
      .filter(([, op]) => op.auth === 'officer')
      .map(([, op]) => `${op.method} /api/v1${op.path}`)
    expect(officer.filter((route) => route.includes('/api/v1/')).sort()).toEqual(expected.sort())
  })

  it('lists only registered codes for each operation, with the status their registry gives', () => {
    for (const [name, op] of table) {
      const unknown = errorCodes(op).filter((code) => registry[code] === undefined)
      expect(unknown, `${name} lists codes no registry defines`).toEqual([])
      if (op.websocket === true) continue
      const responses =
        doc.paths[`/api/v1${openApiPath(op.path)}`]![op.method.toLowerCase()]!.responses
      for (const code of errorCodes(op)) {
        const status = registry[code]!.status
        expect(responses[status]?.description.split(', '), `${name}: ${code}`).toContain(code)
      }
    }
  })
})
