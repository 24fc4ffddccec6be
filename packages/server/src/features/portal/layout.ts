import { html, jsonBlock, type SafeHtml } from './html.ts'
import { PORTAL_LANGUAGES, PORTAL_TEXT, type PortalLanguage } from './portal-text.ts'

/** The consent manager's revision: a change makes every visitor choose again. */
export const CONSENT_REVISION = 1

/** The consent categories with their services and cookies: the cookie scan's `categories`. */
export type ConsentCategories = readonly { id: string; services: readonly unknown[] }[]

/** The six categories with no service: the portal itself sets no cookie until a scan says so. */
export const UNSCANNED_CATEGORIES: ConsentCategories = [
  'necessary',
  'functional',
  'performance',
  'targeting',
  'social',
  'sale',
].map((id) => ({ id, services: [] }))

/**
 * The consent manager's config (`ConsentConfig` of packages/consent), read from the page's
 * JSON block: the revision consent is given to, the language, where receipts go, and the
 * categories as the cookie scan found them.
 */
export function consentConfig(lang: PortalLanguage, categories: ConsentCategories) {
  return {
    revision: CONSENT_REVISION,
    language: lang,
    receiptEndpoint: '/public/consent',
    categories,
  }
}

export interface PageOptions {
  readonly lang: PortalLanguage
  /** The page's path after `/public/<lang>` (`/`, `/agreements`), for its other languages. */
  readonly path: string
  readonly title: string
  readonly body: SafeHtml
  /** Whether the consent manager's build is there to include. */
  readonly consent: boolean
  /** The consent categories the config block lists. */
  readonly consentCategories: ConsentCategories
  /** Scripts of the node's own, by path (the verify button). */
  readonly scripts?: readonly string[]
}

/**
 * A whole portal page: server-rendered, complete without JavaScript. Under the node's CSP
 * (`script-src 'self'`, `style-src 'self'`): styles and scripts are files of the node; the one
 * inline `<script>` is the consent manager's JSON config, a data block a browser never runs.
 */
export function page(options: PageOptions): string {
  const { lang, path, title, body, consent } = options
  const t = PORTAL_TEXT[lang]
  const alternates = PORTAL_LANGUAGES.map(
    (other) => html`<link rel="alternate" hreflang="${other}" href="/public/${other}${path}">`,
  )
  const switcher = PORTAL_LANGUAGES.map((other) =>
    other === lang
      ? html`<li><span aria-current="true">${other.toUpperCase()}</span></li>`
      : html`<li><a href="/public/${other}${path}" hreflang="${other}" lang="${other}">${other.toUpperCase()}</a></li>`,
  )
  const doc = html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${t.site}</title>
${alternates}
<link rel="alternate" hreflang="x-default" href="/public/en${path}">
<link rel="alternate" type="application/atom+xml" title="${t.feed}" href="/public/feed.atom">
<link rel="stylesheet" href="/public/assets/portal.css">
${consent ? html`<link rel="stylesheet" href="/public/assets/consent.css">` : ''}
<script type="application/json" id="parley-consent-config">${jsonBlock(consentConfig(lang, options.consentCategories))}</script>
${consent ? html`<script src="/public/assets/consent.js" defer></script>` : ''}
${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<header>
<p class="site"><a href="/public/${lang}/">${t.site}</a></p>
<nav aria-label="${t.site}">
<ul>
<li><a href="/public/${lang}/agreements">${t.agreements}</a></li>
<li><a href="/public/${lang}/redlines">${t.redlines}</a></li>
<li><a href="/public/${lang}/statements">${t.statements}</a></li>
<li><a href="/public/${lang}/newsletter">${t.newsletter}</a></li>
</ul>
</nav>
<nav aria-label="${t.language}"><ul class="languages">${switcher}</ul></nav>
</header>
<main>
<h1>${title}</h1>
${body}
</main>
<footer>
<ul>
<li><a href="/public/privacy/do-not-sell?lang=${lang}">${t.doNotSell}</a></li>
<li><a href="/public/privacy/rights?lang=${lang}">${t.rights}</a></li>
<li><a href="/public/feed.atom" type="application/atom+xml">${t.feed}</a></li>
</ul>
</footer>
</body>
</html>
`
  return doc.text
}

/** The portal's stylesheet, served as a file: the CSP allows no inline style. */
export const PORTAL_CSS = [
  ':root{color-scheme:light dark}',
  'body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:0 1rem}',
  'header,footer{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:1rem 0}',
  'footer{border-top:1px solid #8884;margin-top:3rem;font-size:.9rem}',
  'nav ul,footer ul{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;margin:0;padding:0}',
  '.site{font-weight:bold;margin:0}',
  'a{color:#0b5cad}a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}',
  '.meta{color:#555;font-size:.9rem}',
  'article{border-top:1px solid #8884;padding:.5rem 0}',
  'table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #8884;vertical-align:top}',
  'code{word-break:break-all}',
  'button{font:inherit;padding:.5rem 1rem;cursor:pointer}',
  'input[type=email]{font:inherit;padding:.4rem;width:min(100%,24rem)}',
  '.verification{padding:.75rem 1rem;border-radius:.25rem;background:#eee;color:#111}',
  '.verification:empty{display:none}',
  '.verification.verified{background:#e3f5e1;color:#1d5e1a}',
  '.verification.failed{background:#fbe3e3;color:#8a1212;font-weight:bold}',
  '.error{color:#8a1212}',
].join('\n')
