import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { SectorTaxonomy } from '@parley/api'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isServerError, ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'
import { agreementFile } from '../drafts/drafts.service.ts'
import { atomFeed } from './feed.ts'
import { type ConsentCategories, PORTAL_CSS, UNSCANNED_CATEGORIES } from './layout.ts'
import type { Newsletter } from './newsletter.service.ts'
import {
  agreementPage,
  indexPage,
  listPage,
  messagePage,
  newsletterPage,
  type PageContext,
  redlinePage,
  statementPage,
  tokenFormPage,
} from './portal-pages.ts'
import { isPortalLanguage, PORTAL_TEXT, type PortalLanguage } from './portal-text.ts'
import { findPublicItem, publicAgreementFile, publicItems } from './public-items.ts'
import { bundleVerifier } from './verifier-bundle.ts'

/** Where `packages/consent` builds to, beside this package in the workspace. */
export const DEFAULT_CONSENT_DIR = resolve(import.meta.dirname, '../../../../consent/dist')

/** Forms are small: an address, a token, a language. */
const FORM_BODY_LIMIT = 16 * 1024

export interface PublicPortalOptions {
  readonly ctx: NodeContext
  readonly newsletter: Newsletter
  readonly sectors: SectorTaxonomy
  /** The node's public base URL, for the feed's absolute links. */
  readonly base: string
  /** The consent manager's build (default: packages/consent/dist), or false for none. */
  readonly consentDir?: string | false
}

const PLURAL = { agreements: 'agreement', redlines: 'redline', statements: 'statement' } as const

/** The language a request asks for: `?lang=`, a form's `lang`, else Accept-Language, else en. */
function requestLanguage(request: FastifyRequest): PortalLanguage {
  const named =
    (request.query as { lang?: unknown } | undefined)?.lang ??
    (request.body as { lang?: unknown } | undefined)?.lang
  if (isPortalLanguage(named)) return named
  const accepted = request.headers['accept-language'] ?? ''
  return /^\s*ru\b/i.test(accepted) ? 'ru' : 'en'
}

/**
 * The public transparency portal under `/public/`: server-rendered pages in English and
 * Russian that work without JavaScript, the Atom feed, the signed agreement files and the
 * newsletter's double opt-in. Anonymous, outside the officer API, and it shows only what
 * `public-items.ts` says is public.
 */
export async function publicPortalPlugin(
  app: FastifyInstance,
  options: PublicPortalOptions,
): Promise<void> {
  const { ctx, newsletter, sectors, base } = options
  const consentDir =
    options.consentDir === false ? undefined : (options.consentDir ?? DEFAULT_CONSENT_DIR)
  const consentFile = (name: string) =>
    consentDir !== undefined && existsSync(join(consentDir, name))
      ? join(consentDir, name)
      : undefined
  let verifier: Promise<string> | undefined

  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object), auth: 'public' }
    route.schema = { ...route.schema, hide: true }
    route.bodyLimit ??= FORM_BODY_LIMIT
  })
  // An HTML form posts `application/x-www-form-urlencoded`; only the portal's routes read it.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)))
    },
  )

  // The cookie scan's output (`scan.ts --out <consent dir>/cookies.json`), read per page so a
  // new scan shows without a restart; the config takes its categories as they are.
  const consentCategories = (): ConsentCategories => {
    const file = consentFile('cookies.json')
    if (file === undefined) return UNSCANNED_CATEGORIES
    try {
      const scanned = JSON.parse(readFileSync(file, 'utf8')) as { categories?: unknown }
      return Array.isArray(scanned.categories)
        ? (scanned.categories as ConsentCategories)
        : UNSCANNED_CATEGORIES
    } catch {
      return UNSCANNED_CATEGORIES
    }
  }
  const pageContext = (lang: PortalLanguage): PageContext => ({
    lang,
    sectors,
    consentCategories: consentCategories(),
    consent: consentFile('consent.js') !== undefined && consentFile('consent.css') !== undefined,
  })
  const send = (reply: FastifyReply, body: string, status = 200) =>
    reply
      .status(status)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(body)
  const fail = (request: FastifyRequest, reply: FastifyReply, error: ServerError) => {
    const lang = requestLanguage(request)
    const t = PORTAL_TEXT[lang]
    const retry = error.details.retryAfter
    if (retry !== undefined) reply.header('retry-after', String(retry))
    // A missing page says so without echoing the path: what a visitor tried is not repeated.
    const missing = error.code === 'PORTAL_PAGE_NOT_FOUND'
    const title = missing ? t.notFound : t.errorTitle
    return send(
      reply,
      messagePage(pageContext(lang), '/', title, missing ? t.notFound : error.message, error.code),
      error.status,
    )
  }
  app.setErrorHandler((error, request, reply) => {
    if (isServerError(error)) return fail(request, reply, error)
    const status = (error as { statusCode?: number }).statusCode ?? 500
    if (status >= 500) request.log.error({ err: error }, 'portal page failed')
    const code =
      status === 413 ? 'REQUEST_TOO_LARGE' : status >= 500 ? 'INTERNAL' : 'REQUEST_INVALID'
    return fail(
      request,
      reply,
      new ServerError(code, { limit: FORM_BODY_LIMIT, reason: 'the form cannot be read' }),
    )
  })
  const notFound = (request: FastifyRequest) =>
    new ServerError('PORTAL_PAGE_NOT_FOUND', { path: request.url.split('?')[0]!.slice(0, 200) })
  const language = (request: FastifyRequest): PortalLanguage => {
    const { lang } = request.params as { lang?: string }
    if (!isPortalLanguage(lang)) throw notFound(request)
    return lang
  }

  const home = (request: FastifyRequest, reply: FastifyReply) =>
    reply.redirect(`/public/${requestLanguage(request)}/`, 302)
  app.get('/public', home)
  app.get('/public/', home)
  app.get('/public/:lang', (request, reply) => reply.redirect(`/public/${language(request)}/`, 301))
  app.get('/public/:lang/', async (request, reply) =>
    send(reply, indexPage(pageContext(language(request)), await publicItems(ctx))),
  )
  for (const [plural, kind] of Object.entries(PLURAL)) {
    app.get(`/public/:lang/${plural}`, async (request, reply) =>
      send(reply, listPage(pageContext(language(request)), kind, await publicItems(ctx, kind))),
    )
  }
  app.get('/public/:lang/agreements/:draft/:version', async (request, reply) => {
    const lang = language(request)
    const { draft, version } = request.params as { draft: string; version: string }
    const item = /^[1-9]\d{0,3}$/.test(version)
      ? await findPublicItem(ctx, 'agreement', draft, Number(version))
      : undefined
    if (item?.kind !== 'agreement') throw notFound(request)
    return send(reply, agreementPage(pageContext(lang), item))
  })
  app.get('/public/:lang/redlines/:redline', async (request, reply) => {
    const lang = language(request)
    const item = await findPublicItem(
      ctx,
      'redline',
      (request.params as { redline: string }).redline,
    )
    if (item?.kind !== 'redline') throw notFound(request)
    return send(reply, redlinePage(pageContext(lang), item))
  })
  app.get('/public/:lang/statements/:event', async (request, reply) => {
    const lang = language(request)
    const item = await findPublicItem(ctx, 'statement', (request.params as { event: string }).event)
    if (item?.kind !== 'statement') throw notFound(request)
    return send(reply, statementPage(pageContext(lang), item))
  })
  app.get('/public/agreements/:draft/:version/agreement.json', async (request, reply) => {
    const { draft, version } = request.params as { draft: string; version: string }
    const agreement = /^[1-9]\d{0,3}$/.test(version)
      ? await publicAgreementFile(ctx, draft, Number(version))
      : undefined
    if (agreement === undefined) throw notFound(request)
    return reply
      .header('cache-control', 'no-cache')
      .header('content-disposition', 'attachment; filename="agreement.json"')
      .type('application/json')
      .send(agreementFile(agreement))
  })
  app.get('/public/feed.atom', async (_request, reply) =>
    reply
      .header('cache-control', 'no-cache')
      .type('application/atom+xml; charset=utf-8')
      .send(atomFeed(await publicItems(ctx), base, ctx.now())),
  )

  app.get('/public/assets/portal.css', (_request, reply) =>
    reply
      .header('cache-control', 'public, max-age=300')
      .type('text/css; charset=utf-8')
      .send(PORTAL_CSS),
  )
  app.get('/public/assets/verify.js', async (_request, reply) => {
    verifier ??= bundleVerifier()
    return reply
      .header('cache-control', 'public, max-age=300')
      .type('text/javascript; charset=utf-8')
      .send(await verifier)
  })
  for (const [name, type] of [
    ['consent.js', 'text/javascript; charset=utf-8'],
    ['consent.css', 'text/css; charset=utf-8'],
  ] as const) {
    app.get(`/public/assets/${name}`, async (request, reply) => {
      const file = consentFile(name)
      if (file === undefined) throw notFound(request)
      return reply
        .header('cache-control', 'public, max-age=300')
        .type(type)
        .send(await readFile(file))
    })
  }

  app.get('/public/:lang/newsletter', (request, reply) =>
    send(reply, newsletterPage(pageContext(language(request)))),
  )
  app.post('/public/newsletter', async (request, reply) => {
    const lang = requestLanguage(request)
    const t = PORTAL_TEXT[lang]
    try {
      await newsletter.signUp(
        (request.body as { email?: unknown } | undefined)?.email,
        lang,
        request.ip,
      )
    } catch (error) {
      if (
        !isServerError(error) ||
        error.status >= 500 ||
        error.code === 'NEWSLETTER_RATE_LIMITED'
      ) {
        throw error
      }
      return send(
        reply,
        newsletterPage(pageContext(lang), { code: error.code, text: error.message }),
        error.status,
      )
    }
    return send(reply, messagePage(pageContext(lang), '/newsletter', t.checkMail, t.checkMailText))
  })
  const tokenOf = (request: FastifyRequest): string => {
    const token =
      (request.body as { token?: unknown } | undefined)?.token ??
      (request.query as { token?: unknown } | undefined)?.token
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      throw new ServerError('NEWSLETTER_TOKEN_INVALID')
    }
    return token
  }
  for (const action of ['confirm', 'unsubscribe'] as const) {
    // A mail's link opens a page with one button: mail scanners that fetch links use none.
    app.get(`/public/newsletter/${action}`, async (request, reply) => {
      const token = tokenOf(request)
      if (!(await newsletter.usable(token, action)))
        throw new ServerError('NEWSLETTER_TOKEN_INVALID')
      return send(reply, tokenFormPage(pageContext(requestLanguage(request)), action, token))
    })
    // RFC 8058 one-click unsubscribing posts to the link itself, its token in the URL.
    app.post(`/public/newsletter/${action}`, async (request, reply) => {
      const lang = requestLanguage(request)
      const t = PORTAL_TEXT[lang]
      if (action === 'confirm') {
        await newsletter.confirm(tokenOf(request))
        return send(
          reply,
          messagePage(pageContext(lang), '/newsletter', t.confirmed, t.confirmedText),
        )
      }
      await newsletter.unsubscribe(tokenOf(request))
      return send(
        reply,
        messagePage(pageContext(lang), '/newsletter', t.unsubscribed, t.unsubscribedText),
      )
    })
  }

  app.get('/public/*', async (request) => {
    throw notFound(request)
  })
}
