import { CATEGORIES, ConsentConfigSchema } from '@parley/consent'
import { verifyAgreement } from '@parley/protocol'
import { XMLParser } from 'fast-xml-parser'
import { chromium } from 'playwright-core'
import { Value } from 'typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNewsletter } from '../src/features/portal/newsletter.service.ts'
import { ManualClock } from '../src/node/clock.ts'
import { startNodes, type TestNode } from './support/nodes.ts'
import { type SmtpSink, startSmtpSink } from './support/smtp-sink.ts'
import { officerWithToken, type TokenOfficer } from './support/tokens.ts'

// biome-ignore lint/suspicious/noExplicitAny: the test reads answers as plain JSON
type Json = any

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0)

/** Texts that must never reach the portal, each with a marker a page could be searched for. */
const SECRET = {
  greenRedline: 'SECRET-GREEN-REDLINE-7f3a',
  rusRedline: 'SECRET-RUS-REDLINE-51c2',
  greenStatement: 'SECRET-GREEN-STATEMENT-9b1e',
  unpublished: 'SECRET-UNPUBLISHED-STATEMENT-2d4f',
  withdrawn: 'SECRET-WITHDRAWN-STATEMENT-c0a8',
  openDraft: 'SECRET-OPEN-DRAFT-e61b',
} as const

const PUBLIC = {
  redline: 'Disrupting payment systems is an attack on the public',
  statement: 'We attribute the March outage of the grid to APT-EXAMPLE, with high confidence.',
  agreement: 'The parties refrain from attacks on the financial sector.',
  agreementRu: 'Стороны воздерживаются от атак на финансовый сектор.',
} as const

const redline = (title: string, tlp: string) => ({
  sectors: ['financial-services'],
  title,
  text: `${title}: the text.`,
  threshold: 'Disruption of service to the public.',
  tlp,
  lang: 'en',
})
const message = (text: string, tlp: string) => ({ text, lang: 'en', urgency: 'routine', tlp })

describe('the public portal', () => {
  let node: TestNode
  let close: () => Promise<void>
  let sink: SmtpSink
  let clock: ManualClock
  let wg: string
  let releaser: TokenOfficer
  let drafter: TokenOfficer
  const ids: Record<string, string> = {}
  let withdrawnAt: number

  const compose = async (as: string, type: string, body: unknown, officer?: TokenOfficer) => {
    const reply = officer
      ? await call(officer, 'POST', `/channels/${wg}/compose`, { type, body })
      : await node.api<Json>('POST', `/channels/${wg}/compose`, { as, type, body })
    expect([201, 202], JSON.stringify(reply.body)).toContain(reply.status)
    return reply.body
  }
  const call = async (officer: TokenOfficer, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${node.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${officer.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as Json }
  }
  const publish = (body: object, party = 'usa') =>
    node.api<Json>('POST', '/publications', body, party)
  /** An anonymous visitor: no cookie, no token. */
  const visit = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${node.url}${path}`, { redirect: 'manual', ...init })
    return { status: response.status, headers: response.headers, text: await response.text() }
  }
  const form = (path: string, fields: Record<string, string>) =>
    visit(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })

  beforeAll(async () => {
    sink = await startSmtpSink()
    clock = new ManualClock(T0)
    const started = await startNodes(
      [
        {
          node: 'wg',
          parties: [
            { id: 'usa', name: 'United States' },
            { id: 'rus', name: 'Russian Federation' },
          ],
        },
      ],
      {
        clock,
        federate: false,
        consentDir: false,
        configure: (config) => ({
          ...config,
          release: { twoPersonRule: ['redline.declare', 'redline.withdraw'] },
          smtp: { host: '127.0.0.1', port: sink.port, from: 'portal@wg.example' },
        }),
      },
    )
    node = started.nodes[0]!
    close = started.close
    const created = await node.api<Json>('POST', '/channels', {
      as: 'usa',
      title: 'Working group',
      members: ['usa', 'rus'],
      observers: [],
    })
    expect(created.status).toBe(201)
    wg = created.body.channel.id
    expect(await node.admit(wg, 'rus')).toBe(true)
    expect((await node.api('POST', `/channels/${wg}/join`, { as: 'rus' })).status).toBe(201)
    const db = node.database.db
    releaser = await officerWithToken(db, node.app.now, {
      party: 'usa',
      roles: ['releaser'],
      channels: [wg],
    })
    drafter = await officerWithToken(db, node.app.now, {
      party: 'usa',
      roles: ['drafter'],
      channels: [wg],
    })

    // Red lines go through the two-person rule: the automation officer drafts, `releaser` approves.
    const declare = async (as: string, body: object) => {
      const held = await compose(as, 'redline.declare', body)
      const approver = as === 'usa' ? releaser : undefined
      const approved = approver
        ? await call(approver, 'POST', `/releases/${held.release.id}/approve`)
        : await node.api<Json>('POST', `/releases/${held.release.id}/approve`, undefined, as)
      expect(approved.status, JSON.stringify(approved.body)).toBe(200)
      return approved.body.event.id as string
    }
    ids.publicRedline = await declare('usa', redline(PUBLIC.redline, 'clear'))
    ids.greenRedline = await declare('usa', redline(SECRET.greenRedline, 'green'))
    // rus's red line needs a second rus officer to approve it.
    const rusReleaser = await officerWithToken(db, node.app.now, {
      party: 'rus',
      roles: ['releaser'],
      channels: [wg],
    })
    const rusHeld = await compose('rus', 'redline.declare', redline(SECRET.rusRedline, 'clear'))
    const rusApproved = await call(rusReleaser, 'POST', `/releases/${rusHeld.release.id}/approve`)
    expect(rusApproved.status).toBe(200)
    ids.rusRedline = rusApproved.body.event.id

    ids.statement = (
      await compose('usa', 'message.post', message(PUBLIC.statement, 'clear'))
    ).event.id
    ids.greenStatement = (
      await compose('usa', 'message.post', message(SECRET.greenStatement, 'green'))
    ).event.id
    ids.unpublished = (
      await compose('usa', 'message.post', message(SECRET.unpublished, 'clear'))
    ).event.id
    ids.withdrawn = (
      await compose('usa', 'message.post', message(SECRET.withdrawn, 'clear'))
    ).event.id

    // An agreement both parties adopted, and a draft still open.
    const draft = await compose('usa', 'draft.create', {
      title: 'Joint statement on the financial sector',
      lang: 'en',
      paragraphs: [
        {
          id: 'p1',
          alternatives: [
            { id: 'p1.a', text: PUBLIC.agreement, translations: { ru: PUBLIC.agreementRu } },
          ],
        },
      ],
    })
    ids.draft = draft.event.id
    for (const as of ['usa', 'rus']) {
      await compose(as, 'draft.accept', {
        draft: ids.draft,
        choices: [{ paragraph: 'p1', alternative: 'p1.a' }],
      })
    }
    const state = (await node.api<Json>('GET', `/channels/${wg}/drafts/${ids.draft}`)).body
    for (const as of ['usa', 'rus']) {
      await compose(as, 'draft.adopt', { draft: ids.draft, contentHash: state.contentHash })
    }
    ids.openDraft = (
      await compose('usa', 'draft.create', {
        title: SECRET.openDraft,
        lang: 'en',
        paragraphs: [{ id: 'p1', alternatives: [{ id: 'p1.a', text: SECRET.openDraft }] }],
      })
    ).event.id

    // What is public: the adopted agreement, the TLP:CLEAR red line, the TLP:CLEAR statement.
    for (const body of [
      { kind: 'agreement', channel: wg, draft: ids.draft },
      { kind: 'redline', channel: wg, redline: ids.publicRedline },
      { kind: 'statement', channel: wg, event: ids.statement },
      { kind: 'statement', channel: wg, event: ids.withdrawn },
    ]) {
      await clock.advance(1_000)
      const published = await publish(body)
      expect(published.status, JSON.stringify(published.body)).toBe(201)
      ids[`publication:${published.body.item}`] = published.body.id
    }
    await clock.advance(1_000)
    withdrawnAt = clock.now()
    const withdrawn = await node.api<Json>(
      'DELETE',
      `/publications/${ids[`publication:${ids.withdrawn}`]}`,
    )
    expect(withdrawn.status).toBe(200)
  })
  afterAll(async () => {
    await close?.()
    await sink?.close()
  })

  describe('publication', () => {
    it('records who published what, lists it by pages and withdraws it, all in the audit log', async () => {
      const first = await node.api<Json>('GET', '/publications?from=oldest&limit=2')
      expect(first.status).toBe(200)
      expect(first.body.publications.map((p: Json) => [p.kind, p.item])).toEqual([
        ['agreement', ids.draft],
        ['redline', ids.publicRedline],
      ])
      expect(first.body.publications[0]).toMatchObject({
        party: 'usa',
        channel: wg,
        version: 1,
        withdrawnAt: null,
        page: `/public/en/agreements/${ids.draft}/1`,
      })
      const next = await node.api<Json>(`GET`, `/publications?after=${first.body.cursors.after}`)
      const items = next.body.publications.map((p: Json) => p.item).slice(0, 2)
      expect(items).toEqual([ids.statement, ids.withdrawn])
      expect(next.body.publications[1]).toMatchObject({ withdrawnAt })

      const audit = (await node.api<Json>('GET', '/audit?limit=500')).body.entries as Json[]
      const seeded = [ids.draft, ids.publicRedline, ids.statement, ids.withdrawn]
      const actions = audit
        .filter((e) => e.action.startsWith('publication.') && seeded.includes(e.details.item))
        .map((e) => [e.action, e.details.item])
      expect(actions).toEqual([
        ['publication.publish', ids.draft],
        ['publication.publish', ids.publicRedline],
        ['publication.publish', ids.statement],
        ['publication.publish', ids.withdrawn],
        ['publication.withdraw', ids.withdrawn],
      ])
    })

    it('publishes only TLP:CLEAR items', async () => {
      const red = await publish({ kind: 'redline', channel: wg, redline: ids.greenRedline })
      expect(red.status).toBe(422)
      expect(red.body.error.code).toBe('PUBLICATION_NOT_CLEAR')
      const said = await publish({ kind: 'statement', channel: wg, event: ids.greenStatement })
      expect(said.status).toBe(422)
      expect(said.body.error.code).toBe('PUBLICATION_NOT_CLEAR')
    })

    it("publishes only the party's own items", async () => {
      const theirs = await publish({ kind: 'redline', channel: wg, redline: ids.rusRedline })
      expect(theirs.status).toBe(403)
      expect(theirs.body.error.code).toBe('PUBLICATION_NOT_OWN')
      const asOther = await publish({
        as: 'rus',
        kind: 'statement',
        channel: wg,
        event: ids.statement,
      })
      expect(asOther.status).toBe(403)
      expect(asOther.body.error.code).toBe('PARTY_FORBIDDEN')
    })

    it('refuses an item that does not exist, one already published, and a draft not adopted', async () => {
      const missing = await publish({ kind: 'statement', channel: wg, event: 'a'.repeat(64) })
      expect(missing.status).toBe(404)
      expect(missing.body.error.code).toBe('PUBLICATION_ITEM_UNKNOWN')
      const open = await publish({ kind: 'agreement', channel: wg, draft: ids.openDraft })
      expect(open.status).toBe(404)
      expect(open.body.error.code).toBe('PUBLICATION_ITEM_UNKNOWN')
      const twice = await publish({ kind: 'statement', channel: wg, event: ids.statement })
      expect(twice.status).toBe(409)
      expect(twice.body.error.code).toBe('PUBLICATION_EXISTS')
    })

    it('lets only releasers and admins publish or withdraw', async () => {
      const body = { kind: 'statement', channel: wg, event: ids.unpublished }
      const refused = await call(drafter, 'POST', '/publications', body)
      expect(refused.status).toBe(403)
      expect(refused.body.error.code).toBe('FORBIDDEN_ROLE')
      const publication = ids[`publication:${ids.statement}`]
      const withdraw = await call(drafter, 'DELETE', `/publications/${publication}`)
      expect(withdraw.status).toBe(403)
      expect(withdraw.body.error.code).toBe('FORBIDDEN_ROLE')
      const listed = await call(drafter, 'GET', '/publications')
      expect(listed.body.error.code).toBe('FORBIDDEN_ROLE')
    })

    it('answers a withdrawn or unknown publication alike', async () => {
      const again = await node.api<Json>(
        'DELETE',
        `/publications/${ids[`publication:${ids.withdrawn}`]}`,
      )
      expect(again.status).toBe(404)
      expect(again.body.error.code).toBe('PUBLICATION_NOT_FOUND')
      const unknown = await node.api<Json>('DELETE', `/publications/pub_${'0'.repeat(26)}`)
      expect(unknown.status).toBe(404)
      expect(unknown.body.error.code).toBe('PUBLICATION_NOT_FOUND')
    })

    it('publishes at release with publish=true, and refuses before signing what it cannot publish', async () => {
      const held = await compose(
        'usa',
        'redline.declare',
        redline('Released and published', 'clear'),
      )
      const approved = await call(
        releaser,
        'POST',
        `/releases/${held.release.id}/approve?publish=true`,
      )
      expect(approved.status).toBe(200)
      const page = await visit(`/public/en/redlines/${approved.body.event.id}`)
      expect(page.status).toBe(200)
      expect(page.text).toContain('Released and published')

      const green = await compose('usa', 'redline.declare', redline('Green, never public', 'green'))
      const refused = await call(
        releaser,
        'POST',
        `/releases/${green.release.id}/approve?publish=true`,
      )
      expect(refused.status).toBe(422)
      expect(refused.body.error.code).toBe('PUBLICATION_NOT_CLEAR')
      const still = await call(releaser, 'GET', `/releases/${green.release.id}`)
      expect(still.body).toMatchObject({ status: 'pending', event: null })

      const withdrawal = await compose('usa', 'redline.withdraw', { redline: ids.greenRedline })
      const wrongType = await call(
        releaser,
        'POST',
        `/releases/${withdrawal.release.id}/approve?publish=true`,
      )
      expect(wrongType.status).toBe(422)
      expect(wrongType.body.error.code).toBe('PUBLICATION_TYPE_UNPUBLISHABLE')
    })
  })

  describe('pages', () => {
    it('serves the index in English and Russian with hreflang links and the privacy links', async () => {
      const root = await visit('/public/', { headers: { 'accept-language': 'ru-RU,ru;q=0.9' } })
      expect(root.status).toBe(302)
      expect(root.headers.get('location')).toBe('/public/ru/')
      for (const [lang, heading, privacy] of [
        ['en', 'Adopted agreements', 'Do Not Sell or Share My Personal Information'],
        ['ru', 'Принятые соглашения', 'Не продавать и не передавать мои персональные данные'],
      ] as const) {
        const index = await visit(`/public/${lang}/`)
        expect(index.status).toBe(200)
        expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
        expect(index.text).toContain(`<html lang="${lang}">`)
        expect(index.text).toContain('<link rel="alternate" hreflang="en" href="/public/en/">')
        expect(index.text).toContain('<link rel="alternate" hreflang="ru" href="/public/ru/">')
        expect(index.text).toContain(heading)
        expect(index.text).toContain(privacy)
        expect(index.text).toContain(`href="/public/privacy/do-not-sell?lang=${lang}"`)
        expect(index.text).toContain(`href="/public/privacy/rights?lang=${lang}"`)
        expect(index.text).toContain(PUBLIC.statement)
      }
    })

    it('works under the strict CSP: no inline script but the consent config, no inline style', async () => {
      const page = await visit(`/public/en/agreements/${ids.draft}/1`)
      const csp = page.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("style-src 'self'")
      const inline = [...page.text.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1])
      expect(inline).toEqual([' type="application/json" id="parley-consent-config"'])
      expect(page.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/)
      const config = JSON.parse(
        /<script type="application\/json" id="parley-consent-config">(.*?)<\/script>/.exec(
          page.text,
        )![1]!,
      )
      expect(config).toMatchObject({
        revision: 1,
        language: 'en',
        receiptEndpoint: '/public/consent',
      })
      // The shape packages/consent reads, and its six categories.
      expect(Value.Check(ConsentConfigSchema, config)).toBe(true)
      expect(config.categories.map((c: Json) => c.id)).toEqual([...CATEGORIES])
      // Without a consent build, the page includes none of its files.
      expect(page.text).not.toContain('consent.js')
      expect((await visit('/public/assets/consent.js')).status).toBe(404)
    })

    it('shows an adopted agreement with its joint signatures, a verify button and a file that verifies', async () => {
      const page = await visit(`/public/en/agreements/${ids.draft}/1`)
      expect(page.status).toBe(200)
      expect(page.text).toContain(PUBLIC.agreement)
      expect(page.text).toContain(`<section lang="ru">`)
      expect(page.text).toContain(PUBLIC.agreementRu)
      expect(page.text).toContain('<td>usa</td>')
      expect(page.text).toContain('<td>rus</td>')
      const file = `/public/agreements/${ids.draft}/1/agreement.json`
      expect(page.text).toContain(`data-agreement="${file}"`)
      expect(page.text).toContain('<script src="/public/assets/verify.js" defer></script>')
      const agreement = await visit(file)
      expect(agreement.headers.get('content-type')).toBe('application/json; charset=utf-8')
      const verified = await verifyAgreement(agreement.text)
      expect(verified.ok).toBe(true)
      if (verified.ok) {
        expect(verified.agreement.signatories.map((s) => s.party).sort()).toEqual(['rus', 'usa'])
        expect(page.text).toContain(verified.agreement.contentHash)
      }
      const script = await visit('/public/assets/verify.js')
      expect(script.status).toBe(200)
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
      expect(script.text).toContain('data-agreement')
      expect(script.text).toContain('parley/event/v1')
    })

    it('verifies the agreement in the visitor’s browser, and fails it when one byte changes', async () => {
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu'],
      })
      try {
        const url = `${node.url}/public/en/agreements/${ids.draft}/1`
        const page = await browser.newPage()
        const problems: string[] = []
        // The browser asks for /favicon.ico on its own; every resource of the portal must load.
        page.on('console', (m) => {
          if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
            problems.push(m.text())
          }
        })
        page.on('response', (response) => {
          const { pathname } = new URL(response.url())
          if (pathname.startsWith('/public/') && response.status() !== 200) {
            problems.push(`${response.status()} ${pathname}`)
          }
        })
        page.on('pageerror', (error) => problems.push(error.message))
        const status = page.locator('#verification')
        const verify = page.getByRole('button', { name: 'Verify the signatures in this browser' })
        await page.goto(url)
        await verify.click()
        await expect.poll(() => status.getAttribute('data-verification')).toBe('verified')
        expect(await status.textContent()).toMatch(
          /^Verified in this browser: every member \((usa, rus|rus, usa)\)/,
        )
        // No CSP violation, no script error: the page's one inline script is a data block.
        expect(problems).toEqual([])

        // One changed byte of the file the button fetches, and the browser says so.
        await page.route('**/agreement.json', async (route) => {
          const response = await route.fetch()
          const body = (await response.text()).replace('refrain', 'refrein')
          await route.fulfill({ response, body })
        })
        await page.goto(url)
        await verify.click()
        await expect.poll(() => status.getAttribute('data-verification')).toBe('failed')
        expect(await status.textContent()).toMatch(/^NOT VERIFIED: /)

        // Without JavaScript the text and signatures are all there; the button stays hidden.
        const plain = await browser.newContext({ javaScriptEnabled: false })
        const still = await plain.newPage()
        await still.goto(url)
        expect(await still.locator('main').textContent()).toContain(PUBLIC.agreement)
        expect(await still.getByRole('button', { name: /Verify/ }).count()).toBe(0)
        await plain.close()
      } finally {
        await browser.close()
      }
    })

    it('shows a red line and a statement in each language, their text escaped', async () => {
      const line = await visit(`/public/ru/redlines/${ids.publicRedline}`)
      expect(line.status).toBe(200)
      expect(line.text).toContain(PUBLIC.redline)
      expect(line.text).toContain('Финансовые услуги')
      const said = await visit(`/public/en/statements/${ids.statement}`)
      expect(said.status).toBe(200)
      expect(said.text).toContain(PUBLIC.statement)
    })

    it('answers every page that is not public with the same 404', async () => {
      for (const path of [
        `/public/en/redlines/${ids.greenRedline}`,
        `/public/en/statements/${ids.withdrawn}`,
        `/public/en/statements/${ids.unpublished}`,
        `/public/en/agreements/${ids.openDraft}/1`,
        '/public/de/',
        '/public/en/nothing',
      ]) {
        const page = await visit(path)
        expect(page.status, path).toBe(404)
        expect(page.text).toContain('data-code="PORTAL_PAGE_NOT_FOUND"')
      }
    })

    it('serves an Atom feed of the public items (RFC 4287)', async () => {
      const feed = await visit('/public/feed.atom')
      expect(feed.status).toBe(200)
      expect(feed.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8')
      const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(
        feed.text,
      )
      const root = parsed.feed
      expect(root['@xmlns']).toBe('http://www.w3.org/2005/Atom')
      expect(root.id).toMatch(/^tag:127\.0\.0\.1,2025:parley:portal$/)
      expect(root.title).toBe('Parley public portal')
      expect(Number.isNaN(Date.parse(root.updated))).toBe(false)
      const entries = [root.entry].flat()
      const byKind = Object.fromEntries(entries.map((e: Json) => [e.category['@term'], e]))
      expect(Object.keys(byKind).sort()).toEqual(['agreement', 'redline', 'statement'])
      for (const entry of entries) {
        expect(entry.id).toMatch(/^tag:127\.0\.0\.1,2025:parley:(agreement|redline|statement):/)
        expect(entry.title).not.toBe('')
        expect(entry.author.name).toBe('usa')
        expect(new Date(entry.updated).toISOString()).toBe(entry.updated)
        const links = [entry.link].flat().map((l: Json) => l['@hreflang'])
        expect(links).toEqual(['en', 'ru'])
      }
      expect(byKind.statement.content['#text']).toBe(PUBLIC.statement)
      expect(byKind.agreement.link[0]['@href']).toBe(
        `${node.url}/public/en/agreements/${ids.draft}/1`,
      )
    })
  })

  describe('newsletter', () => {
    const linkIn = (text: string, action: string) =>
      new URL(new RegExp(`(http\\S+/public/newsletter/${action}\\?\\S+)`).exec(text)![1]!)

    it('subscribes only after the confirmation link, stores only hashes, and unsubscribes', async () => {
      const before = sink.mails.length
      const signUp = await form('/public/newsletter', { email: 'Reader@Example.org', lang: 'ru' })
      expect(signUp.status).toBe(200)
      expect(signUp.text).toContain('Проверьте почту')
      expect(sink.mails.length).toBe(before + 1)
      const mail = sink.mails.at(-1)!
      expect(mail.envelopeTo).toEqual(['reader@example.org'])
      expect(mail.parsed.subject).toBe('Подтвердите подписку на публичный портал Parley')
      const confirm = linkIn(mail.parsed.text!, 'confirm')
      const unsubscribe = linkIn(mail.parsed.text!, 'unsubscribe')
      const header = (name: string) =>
        (mail.parsed.headerLines.find((line) => line.key === name)?.line ?? '').replace(/\s+/g, ' ')
      expect(header('list-unsubscribe-post')).toBe(
        'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      )
      expect(header('list-unsubscribe')).toBe(`List-Unsubscribe: <${unsubscribe.href}>`)
      const token = confirm.searchParams.get('token')!
      const db = node.database.db
      const stored = await db.selectFrom('newsletter_tokens').selectAll().execute()
      expect(stored.some((row) => row.token_hash === token)).toBe(false)
      expect(JSON.stringify(stored)).not.toContain(token)
      const row = () =>
        db
          .selectFrom('newsletter_subscriptions')
          .selectAll()
          .where('email', '=', 'reader@example.org')
          .executeTakeFirstOrThrow()
      expect((await row()).status).toBe('pending')

      // Following the link shows a button; only posting it confirms (mail scanners only fetch).
      const page = await visit(`${confirm.pathname}${confirm.search}`)
      expect(page.status).toBe(200)
      expect((await row()).status).toBe('pending')
      const confirmed = await form('/public/newsletter/confirm', { token, lang: 'ru' })
      expect(confirmed.status).toBe(200)
      expect(confirmed.text).toContain('Вы подписаны')
      expect(await row()).toMatchObject({ status: 'confirmed', confirmed_at: clock.now() })
      const welcome = sink.mails.at(-1)!
      expect(welcome.parsed.subject).toBe('Вы подписаны на публичный портал Parley')
      expect(linkIn(welcome.parsed.text!, 'unsubscribe')).toBeInstanceOf(URL)

      const reused = await form('/public/newsletter/confirm', { token })
      expect(reused.status).toBe(400)
      expect(reused.text).toContain('data-code="NEWSLETTER_TOKEN_INVALID"')

      // RFC 8058 one-click: a POST to the link itself.
      const oneClick = await visit(`${unsubscribe.pathname}${unsubscribe.search}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      })
      expect(oneClick.status).toBe(200)
      expect((await row()).status).toBe('unsubscribed')
    })

    it('lets a confirmation link expire after 48 hours', async () => {
      // The newsletter on the node's database with a clock of its own, moved past the expiry.
      let now = T0
      const letters = createNewsletter({
        db: node.database.db,
        now: () => now,
        base: node.url,
        smtp: { host: '127.0.0.1', port: sink.port, from: 'portal@wg.example' },
      })
      await letters.signUp('late@example.org', 'en', '192.0.2.7')
      const token = linkIn(sink.mails.at(-1)!.parsed.text!, 'confirm').searchParams.get('token')!
      now += 48 * 3_600_000 - 1
      expect(await letters.usable(token, 'confirm')).toBe(true)
      now += 1
      expect(await letters.usable(token, 'confirm')).toBe(false)
      await expect(letters.confirm(token)).rejects.toMatchObject({
        code: 'NEWSLETTER_TOKEN_INVALID',
      })
      letters.close()
    })

    it('refuses an address that is none, and too many sign-ups for one address', async () => {
      const bad = await form('/public/newsletter', { email: 'not an address', lang: 'en' })
      expect(bad.status).toBe(400)
      expect(bad.text).toContain('data-code="NEWSLETTER_EMAIL_INVALID"')
      const sent = sink.mails.length
      for (let i = 0; i < 5; i += 1) {
        expect((await form('/public/newsletter', { email: 'eager@example.org' })).status).toBe(200)
      }
      const limited = await form('/public/newsletter', { email: 'eager@example.org' })
      expect(limited.status).toBe(429)
      expect(limited.text).toContain('data-code="NEWSLETTER_RATE_LIMITED"')
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(sink.mails.length).toBe(sent + 5)
    })

    it('stores nothing when the node has no SMTP server to send the confirmation', async () => {
      const letters = createNewsletter({ db: node.database.db, now: clock.now, base: node.url })
      await expect(letters.signUp('nosmtp@example.org', 'en', '192.0.2.1')).rejects.toMatchObject({
        code: 'NEWSLETTER_UNAVAILABLE',
      })
      const row = await node.database.db
        .selectFrom('newsletter_subscriptions')
        .select('id')
        .where('email', '=', 'nosmtp@example.org')
        .executeTakeFirst()
      expect(row).toBeUndefined()
    })
  })

  it('never shows an anonymous visitor anything that is not public', async () => {
    const seen = new Map<string, string>()
    const queue = ['/public/', '/public/en/', '/public/ru/', '/public/feed.atom']
    while (queue.length > 0) {
      const path = queue.shift()!
      if (seen.has(path)) continue
      const page = await visit(path)
      seen.set(path, page.text)
      expect([200, 301, 302, 404], path).toContain(page.status)
      const location = page.headers.get('location')
      if (location !== null) queue.push(location)
      // The privacy pages are the privacy feature's; they are visited, not followed further.
      if (path.startsWith('/public/privacy/')) continue
      for (const [, link] of page.text.matchAll(/(?:href|src|data-agreement)="([^"]+)"/g)) {
        const url = new URL(link!.replaceAll('&amp;', '&'), node.url)
        if (url.origin === node.url && url.pathname.startsWith('/public')) {
          queue.push(url.pathname + url.search)
        }
      }
    }
    // Every id of the database, tried directly at every item URL.
    const db = node.database.db
    const eventIds = (await db.selectFrom('events').select('id').execute()).map((r) => r.id)
    const publicationIds = (await db.selectFrom('publications').select('id').execute()).map(
      (r) => r.id,
    )
    for (const id of [...eventIds, ...publicationIds]) {
      for (const lang of ['en', 'ru']) {
        for (const path of [
          `/public/${lang}/redlines/${id}`,
          `/public/${lang}/statements/${id}`,
          `/public/${lang}/agreements/${id}/1`,
        ]) {
          seen.set(path, (await visit(path)).text)
        }
      }
      seen.set(
        `/public/agreements/${id}/1/agreement.json`,
        (await visit(`/public/agreements/${id}/1/agreement.json`)).text,
      )
    }
    // A signed event names its author's previous event and the heads it held by hash (`prev`,
    // `heads`): an agreement file carries those hashes, which say nothing of what they hash.
    const withoutChainLinks = (path: string, page: string) => {
      if (!path.endsWith('/agreement.json') || !page.startsWith('{')) return page
      const file = JSON.parse(page)
      for (const signed of [file.channel, file.draft, ...file.adoptions]) {
        delete signed.event.prev
        delete signed.event.heads
      }
      return JSON.stringify(file)
    }
    const pagesWith = (text: string) =>
      [...seen.entries()]
        .filter(([path, page]) => withoutChainLinks(path, page).includes(text))
        .map(([path]) => path)
    const hidden = [
      ...Object.values(SECRET),
      ...[ids.greenRedline, ids.rusRedline, ids.greenStatement, ids.unpublished, ids.withdrawn],
      ids.openDraft,
      // Publication records are the party's own business (an agreement's file names its channel).
      ...publicationIds,
    ]
    for (const text of hidden!) expect(pagesWith(text!), text).toEqual([])
    const everything = [...seen.values()].join('\n')
    // And what is public is there.
    for (const text of [PUBLIC.redline, PUBLIC.statement, PUBLIC.agreement, PUBLIC.agreementRu]) {
      expect(everything).toContain(text)
    }
    expect([...seen.keys()]).toContain(`/public/ru/agreements/${ids.draft}/1`)
  })
})
