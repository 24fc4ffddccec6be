import { type SectorTaxonomy, sectorOf } from '@parley/api'
import { html, type SafeHtml } from './html.ts'
import { type ConsentCategories, page } from './layout.ts'
import { PORTAL_TEXT, type PortalLanguage, type PortalText } from './portal-text.ts'
import type { PublicAgreement, PublicItem, PublicRedline, PublicStatement } from './public-items.ts'

/** What every page of one request shares. */
export interface PageContext {
  readonly lang: PortalLanguage
  readonly consent: boolean
  readonly consentCategories: ConsentCategories
  readonly sectors: SectorTaxonomy
}

function date(ms: number): SafeHtml {
  const iso = new Date(ms).toISOString()
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`
}

const LIST_PATH = { agreement: 'agreements', redline: 'redlines', statement: 'statements' } as const

/** The portal page of an item, in `lang`. */
export function itemPath(item: PublicItem, lang: PortalLanguage): string {
  if (item.kind === 'agreement') return `/public/${lang}/agreements/${item.draft}/${item.version}`
  if (item.kind === 'redline') return `/public/${lang}/redlines/${item.redline}`
  return `/public/${lang}/statements/${item.event}`
}

/** A one-line title of an item: a statement's first words. */
export function itemTitle(item: PublicItem): string {
  if (item.kind !== 'statement') return item.title
  const line = item.text.split('\n')[0]!
  return line.length > 90 ? `${line.slice(0, 89)}…` : line
}

function summary(item: PublicItem, lang: PortalLanguage, t: PortalText): SafeHtml {
  return html`<article>
<h3><a href="${itemPath(item, lang)}">${itemTitle(item)}</a></h3>
<p class="meta">${t.publishedBy} ${item.party} · ${date(item.updatedAt)}</p>
</article>`
}

function list(items: readonly PublicItem[], lang: PortalLanguage, t: PortalText): SafeHtml {
  return items.length === 0
    ? html`<p>${t.none}</p>`
    : html`${items.map((item) => summary(item, lang, t))}`
}

/** `/public/<lang>/`: what is published, a few of each kind. */
export function indexPage(ctx: PageContext, items: readonly PublicItem[]): string {
  const t = PORTAL_TEXT[ctx.lang]
  const section = (kind: PublicItem['kind'], heading: string) => {
    const own = items.filter((item) => item.kind === kind)
    return html`<section>
<h2><a href="/public/${ctx.lang}/${LIST_PATH[kind]}">${heading}</a></h2>
${list(own.slice(0, 5), ctx.lang, t)}
</section>`
  }
  const body = html`<p>${t.intro}</p>
${section('agreement', t.agreements)}
${section('redline', t.redlines)}
${section('statement', t.statements)}`
  return page({ ...ctx, path: '/', title: t.site, body })
}

/** `/public/<lang>/<kind>s`: every public item of one kind. */
export function listPage(
  ctx: PageContext,
  kind: PublicItem['kind'],
  items: readonly PublicItem[],
): string {
  const t = PORTAL_TEXT[ctx.lang]
  const title = { agreement: t.agreements, redline: t.redlines, statement: t.statements }[kind]
  return page({ ...ctx, path: `/${LIST_PATH[kind]}`, title, body: list(items, ctx.lang, t) })
}

function paragraphs(item: PublicAgreement, lang: string): SafeHtml {
  return html`<ol>${item.text.map((p) => {
    const wording = lang === item.lang ? p.text : p.translations?.[lang]
    return wording === undefined ? '' : html`<li id="para_${p.paragraph}">${wording}</li>`
  })}</ol>`
}

/** An adopted agreement: its text in each language, its joint signatures, the verify button. */
export function agreementPage(ctx: PageContext, item: PublicAgreement): string {
  const t = PORTAL_TEXT[ctx.lang]
  const file = `/public/agreements/${item.draft}/${item.version}/agreement.json`
  const languages = [
    item.lang,
    ...new Set(item.text.flatMap((p) => Object.keys(p.translations ?? {}))),
  ].filter((lang, i, all) => all.indexOf(lang) === i)
  const body = html`<p class="meta">${t.version} ${item.version} · ${t.publishedBy} ${item.party} · ${t.publishedAt} ${date(item.publishedAt)}</p>
${languages.map(
  (lang) => html`<section lang="${lang}">
<h2>${t.text} (${lang})</h2>
${paragraphs(item, lang)}
</section>`,
)}
<section>
<h2>${t.signatures}</h2>
<p class="meta">${t.contentHash}: <code>${item.contentHash}</code></p>
<table>
<thead><tr><th scope="col">${t.signatory}</th><th scope="col">${t.signedAt}</th><th scope="col">${t.adoptEvent}</th></tr></thead>
<tbody>${item.signatories.map(
    (s) =>
      html`<tr><td>${s.party}</td><td>${date(s.time)}</td><td><code>${s.event}</code></td></tr>`,
  )}</tbody>
</table>
<p><a href="${file}" download="agreement.json" type="application/json">${t.download}</a></p>
<p>${t.verifyHelp}</p>
<p><button type="button" hidden data-agreement="${file}" data-content-hash="${item.contentHash}" data-lang="${ctx.lang}" aria-controls="verification">${t.verify}</button></p>
<p id="verification" class="verification" role="status" aria-live="polite"></p>
<noscript><p>${t.noScript}</p></noscript>
</section>`
  return page({
    ...ctx,
    path: `/agreements/${item.draft}/${item.version}`,
    title: item.title,
    body,
    scripts: ['/public/assets/verify.js'],
  })
}

/** A declared red line as it stands. */
export function redlinePage(ctx: PageContext, item: PublicRedline): string {
  const t = PORTAL_TEXT[ctx.lang]
  const sectors = item.sectors.map((id) => sectorOf(ctx.sectors, id)?.label[ctx.lang] ?? id)
  const body = html`<p class="meta">${t.party} ${item.party} · ${t.revision} ${item.version} · ${date(item.updatedAt)}</p>
<div${item.lang === undefined ? '' : html` lang="${item.lang}"`}>
<p>${item.text}</p>
<h2>${t.threshold}</h2>
<p>${item.threshold}</p>
</div>
<h2>${t.sectors}</h2>
<ul>${sectors.map((label) => html`<li>${label}</li>`)}</ul>`
  return page({ ...ctx, path: `/redlines/${item.redline}`, title: item.title, body })
}

/** A public statement: the party's signed words, as they were said. */
export function statementPage(ctx: PageContext, item: PublicStatement): string {
  const t = PORTAL_TEXT[ctx.lang]
  const body = html`<p class="meta">${t.party} ${item.party} · ${date(item.updatedAt)}</p>
<blockquote lang="${item.lang}">${item.text.split('\n').map((line) => html`<p>${line}</p>`)}</blockquote>
<p class="meta">${t.statementEvent}: <code>${item.event}</code></p>`
  return page({ ...ctx, path: `/statements/${item.event}`, title: itemTitle(item), body })
}

/** A page that says one thing: a 404, a sign-up's next step, an error with its code. */
export function messagePage(
  ctx: PageContext,
  path: string,
  title: string,
  text: string,
  code?: string,
): string {
  const body = html`<p${code === undefined ? '' : html` class="error" data-code="${code}"`}>${text}</p>
${code === undefined ? '' : html`<p class="meta"><code>${code}</code></p>`}
<p><a href="/public/${ctx.lang}/">${PORTAL_TEXT[ctx.lang].home}</a></p>`
  return page({ ...ctx, path, title, body })
}

/** The sign-up form: a plain form that posts home, no script needed. */
export function newsletterPage(ctx: PageContext, error?: { code: string; text: string }): string {
  const t = PORTAL_TEXT[ctx.lang]
  const body = html`<p>${t.subscribeHelp}</p>
${error === undefined ? '' : html`<p class="error" role="alert" data-code="${error.code}">${error.text} <code>${error.code}</code></p>`}
<form method="post" action="/public/newsletter">
<input type="hidden" name="lang" value="${ctx.lang}">
<p><label for="email">${t.email}</label><br>
<input type="email" id="email" name="email" required maxlength="254" autocomplete="email"></p>
<p><button type="submit">${t.subscribe}</button></p>
</form>`
  return page({ ...ctx, path: '/newsletter', title: t.subscribeTitle, body })
}

/** The page a mail's link opens: one button that posts the token (mail scanners only GET). */
export function tokenFormPage(
  ctx: PageContext,
  action: 'confirm' | 'unsubscribe',
  token: string,
): string {
  const t = PORTAL_TEXT[ctx.lang]
  const title = action === 'confirm' ? t.confirmTitle : t.unsubscribeTitle
  const body = html`<form method="post" action="/public/newsletter/${action}">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="lang" value="${ctx.lang}">
<p><button type="submit">${action === 'confirm' ? t.confirm : t.unsubscribe}</button></p>
</form>`
  return page({ ...ctx, path: '/newsletter', title, body })
}
