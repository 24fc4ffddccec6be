import { useTranslation } from 'react-i18next'

/** One match of the release guard, as the node reports it (RELEASE_GUARD_BLOCKED details). */
export interface GuardMatch {
  readonly path: string
  readonly offset: number
  readonly text: string
  readonly rule: string
  readonly kind: 'marking' | 'tlp'
}

export function guardMatches(details: unknown): GuardMatch[] {
  const matches = (details as { matches?: unknown } | undefined)?.matches
  return Array.isArray(matches) ? (matches as GuardMatch[]) : []
}

/**
 * The text as written, each of the guard's matches marked where it is, and the list of them:
 * an officer sees exactly what to take out.
 */
export function GuardFindings({
  text,
  matches,
  field = '/text',
}: {
  text: string
  matches: readonly GuardMatch[]
  field?: string
}) {
  const { t } = useTranslation()
  const here = matches
    .filter((m) => m.path === field && m.kind === 'marking')
    .sort((a, b) => a.offset - b.offset)
  const parts: React.ReactNode[] = []
  let at = 0
  for (const match of here) {
    if (match.offset < at) continue
    parts.push(text.slice(at, match.offset))
    parts.push(
      <mark key={match.offset} title={t('guard.rule', { rule: match.rule })}>
        {text.slice(match.offset, match.offset + match.text.length)}
      </mark>,
    )
    at = match.offset + match.text.length
  }
  parts.push(text.slice(at))
  return (
    <div className="guard" role="alert">
      <strong>{t('guard.title', { count: matches.length })}</strong>
      {here.length > 0 && <pre className="guard-text">{parts}</pre>}
      <ul>
        {matches.map((m) => (
          <li key={`${m.path}:${m.offset}:${m.rule}`}>
            {m.kind === 'tlp'
              ? t('guard.tlp', { rule: m.rule })
              : t('guard.match', { text: m.text, path: m.path, offset: m.offset, rule: m.rule })}
          </li>
        ))}
      </ul>
    </div>
  )
}
