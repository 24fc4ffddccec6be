import { escapeHtml } from './html.ts'
import { itemPath, itemTitle } from './portal-pages.ts'
import type { PublicItem } from './public-items.ts'

const iso = (ms: number) => new Date(ms).toISOString()

function content(item: PublicItem): string {
  if (item.kind === 'agreement') return item.text.map((p) => p.text).join('\n\n')
  if (item.kind === 'redline') return `${item.text}\n\n${item.threshold}`
  return item.text
}

/** The stable id of an entry (RFC 4287 §4.2.6): a tag URI of the item, never reused. */
function entryId(item: PublicItem, authority: string): string {
  const id =
    item.kind === 'agreement'
      ? `agreement:${item.draft}:${item.version}`
      : item.kind === 'redline'
        ? `redline:${item.redline}`
        : `statement:${item.event}`
  return `tag:${authority},2025:parley:${id}`
}

/**
 * The portal's Atom feed (RFC 4287): one entry per public item, newest first, each with its
 * id, title, updated time, author (the party), link to its page in English and its text.
 */
export function atomFeed(items: readonly PublicItem[], base: string, now: number): string {
  const authority = new URL(base).hostname
  const updated = items.reduce(
    (latest, item) => Math.max(latest, item.updatedAt, item.publishedAt),
    0,
  )
  const x = escapeHtml
  const entries = items.map(
    (item) => `  <entry>
    <id>${x(entryId(item, authority))}</id>
    <title>${x(itemTitle(item))}</title>
    <updated>${iso(Math.max(item.updatedAt, item.publishedAt))}</updated>
    <published>${iso(item.publishedAt)}</published>
    <author><name>${x(item.party)}</name></author>
    <category term="${item.kind}"/>
    <link rel="alternate" type="text/html" hreflang="en" href="${x(base + itemPath(item, 'en'))}"/>
    <link rel="alternate" type="text/html" hreflang="ru" href="${x(base + itemPath(item, 'ru'))}"/>
    <content type="text">${x(content(item))}</content>
  </entry>`,
  )
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${x(`tag:${authority},2025:parley:portal`)}</id>
  <title>Parley public portal</title>
  <updated>${iso(items.length === 0 ? now : updated)}</updated>
  <link rel="self" type="application/atom+xml" href="${x(`${base}/public/feed.atom`)}"/>
  <link rel="alternate" type="text/html" href="${x(`${base}/public/en/`)}"/>
  <author><name>Parley</name></author>
${entries.join('\n')}
</feed>
`
}
