import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api, ConsentChoiceSchema, SignedConsentReceiptSchema } from '@parley/api'
import { isProtocolError } from '@parley/protocol'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { isServerError, ServerError } from '../../errors.ts'
import { sendError } from '../../http/error-handler.ts'
import { CONNECTION_ERRORS, errorResponses, schemaOf } from '../../http/route-schema.ts'
import { actingAs } from '../access/access.service.ts'
import { receiptPage, recordConsent, scheduleTodaysPrune, truncateIp } from './consent.service.ts'
import type { Privacy } from './privacy.service.ts'
import type { Language } from './privacy-mail.ts'
import {
  doNotSellPage,
  openedPage,
  refusedPage,
  rightsPage,
  submittedPage,
  verifyPage,
} from './privacy-pages.ts'
import { AddressLimiter } from './rate-limit.ts'
import {
  closeRequest,
  requestPage,
  respondToRequest,
  submitRequest,
  verifyRequest,
} from './rights.service.ts'

/** A consent body is small: six booleans, a few services, a URL. */
export const CONSENT_BODY_LIMIT = 8 * 1024
const FORM_BODY_LIMIT = 16 * 1024

const GpcSchema = Type.Object({ gpc: Type.Literal(true), lastUpdate: Type.String() })

/**
 * The public side of privacy: `POST /public/consent` (each choice a signed receipt),
 * `/.well-known/gpc.json`, and the rights pages (`/public/privacy/rights`,
 * `/public/privacy/do-not-sell`) with their e-mail check. Anonymous, each write counted against
 * the sender's address.
 */
export const privacyPublicPlugin: FastifyPluginAsyncTypebox<{ privacy: Privacy }> = async (
  app,
  { privacy },
) => {
  const limiter = new AddressLimiter(app.now, privacy.settings.ratePerMinute)
  const publicRoute = { auth: 'public' } as const
  app.addHook('onReady', () => scheduleTodaysPrune(privacy.consent))
  app.addHook('onClose', () => privacy.close())

  app.post(
    '/public/consent',
    {
      config: publicRoute,
      bodyLimit: CONSENT_BODY_LIMIT,
      schema: {
        tags: ['privacy'],
        body: ConsentChoiceSchema,
        response: {
          201: SignedConsentReceiptSchema,
          ...errorResponses([
            ...CONNECTION_ERRORS,
            'REQUEST_INVALID',
            'REQUEST_TOO_LARGE',
            'RATE_LIMITED',
            'CONSENT_CATEGORY_UNKNOWN',
            'CONSENT_CATEGORY_MISSING',
            'CONSENT_NECESSARY_REQUIRED',
            'DATABASE_UNAVAILABLE',
          ]),
        },
      },
      preValidation: async (request) => limiter.take(truncateIp(request.ip)),
    },
    async (request, reply) => {
      const receipt = await recordConsent(privacy.consent, request.body, {
        userAgent: request.headers['user-agent'] ?? '',
        ip: request.ip,
        gpcHeader: request.headers['sec-gpc'] === '1',
      })
      return reply.status(201).send(receipt)
    },
  )

  app.get(
    '/.well-known/gpc.json',
    {
      config: publicRoute,
      schema: {
        tags: ['privacy'],
        response: {
          200: GpcSchema,
          ...errorResponses([...CONNECTION_ERRORS, 'DATABASE_UNAVAILABLE']),
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=86400')
      return { gpc: true as const, lastUpdate: privacy.settings.gpcLastUpdate }
    },
  )

  await app.register(async (pages) => {
    pages.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
      (_request, body, done) => {
        try {
          done(null, formFields(body as string))
        } catch (error) {
          done(error as Error)
        }
      },
    )
    pages.setErrorHandler((error, request, reply) => {
      if (!isServerError(error) && !isProtocolError(error)) return sendError(error, request, reply)
      return reply
        .status(error.status)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(refusedPage(languageOf(request), error.code, error.message))
    })
    // A page may carry a confirmation token or an address: never kept in a cache.
    const html = (reply: FastifyReply, status: number, page: string) =>
      reply
        .status(status)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(page)
    const page = { config: publicRoute, schema: { tags: ['privacy'], hide: true } }

    pages.get('/public/privacy/rights', page, async (request, reply) =>
      html(reply, 200, rightsPage(languageOf(request))),
    )
    pages.get('/public/privacy/do-not-sell', page, async (request, reply) =>
      html(reply, 200, doNotSellPage(languageOf(request))),
    )
    pages.post(
      '/public/privacy/requests',
      { ...page, preValidation: async (request) => limiter.take(truncateIp(request.ip)) },
      async (request, reply) => {
        const form = formOf(request)
        const language = languageOf(request)
        const { email } = await submitRequest(privacy.rights, {
          kind: form.kind,
          jurisdiction: form.jurisdiction,
          email: form.email,
          details: form.details,
          language,
        })
        return html(reply, 201, submittedPage(language, email))
      },
    )
    pages.get('/public/privacy/verify', page, async (request, reply) => {
      const query = request.query as Record<string, unknown>
      const id = typeof query.request === 'string' ? query.request : ''
      const token = typeof query.token === 'string' ? query.token : ''
      return html(reply, 200, verifyPage(languageOf(request), id, token))
    })
    pages.post(
      '/public/privacy/verify',
      { ...page, preValidation: async (request) => limiter.take(truncateIp(request.ip)) },
      async (request, reply) => {
        const form = formOf(request)
        const opened = await verifyRequest(privacy.rights, form.request ?? '', form.token ?? '')
        return html(reply, 200, openedPage(languageOf(request), opened))
      },
    )
  })
}

/**
 * The admin side, under `/api/v1`: the receipts (`/consent/receipts`) and the rights requests
 * (`/privacy/requests`), for the admins of the privacy party.
 */
export const privacyPlugin: FastifyPluginAsyncTypebox<{ privacy: Privacy }> = async (
  app,
  { privacy },
) => {
  const admin = { auth: 'officer', requires: { role: 'admin' } } as const
  const party = privacy.rights.party
  const own = (request: FastifyRequest) => {
    actingAs(request.officer!, party)
    return request.officer!.id
  }

  app.get(
    api.listConsentReceipts.path,
    { config: admin, schema: schemaOf(api.listConsentReceipts) },
    async (request) => {
      own(request)
      return receiptPage(app.db, request.query)
    },
  )
  app.get(
    api.listRightsRequests.path,
    { config: admin, schema: schemaOf(api.listRightsRequests) },
    async (request) => {
      own(request)
      return requestPage(app.db, request.query)
    },
  )
  app.post(
    api.respondRightsRequest.path,
    { config: admin, schema: schemaOf(api.respondRightsRequest) },
    async (request) =>
      respondToRequest(privacy.rights, own(request), request.params.id, request.body.response),
  )
  app.post(
    api.closeRightsRequest.path,
    { config: admin, schema: schemaOf(api.closeRightsRequest) },
    async (request) => closeRequest(privacy.rights, own(request), request.params.id),
  )
}

/** A form body: each field once (a field twice has no one reading). */
function formFields(body: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const [name, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(fields, name)) {
      throw new ServerError('PRIVACY_FORM_INVALID', {
        field: name.slice(0, 64),
        reason: 'given twice',
      })
    }
    fields[name] = value
  }
  return fields
}

function formOf(request: FastifyRequest): Record<string, string | undefined> {
  const body = request.body
  if (body === null || typeof body !== 'object') {
    throw new ServerError('PRIVACY_FORM_INVALID', {
      field: '(body)',
      reason: 'send the form as application/x-www-form-urlencoded',
    })
  }
  return body as Record<string, string | undefined>
}

/** The page's language: the form's or the link's `lang`, else Accept-Language, else English. */
function languageOf(request: FastifyRequest): Language {
  const fromBody = (request.body as { lang?: unknown } | undefined)?.lang
  const fromQuery = (request.query as { lang?: unknown } | undefined)?.lang
  const named = typeof fromBody === 'string' ? fromBody : fromQuery
  if (named === 'ru' || named === 'en') return named
  return /^\s*ru\b/i.test(request.headers['accept-language'] ?? '') ? 'ru' : 'en'
}
