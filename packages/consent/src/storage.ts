import type { StoredItem } from './config.ts'
import type { ConsentState } from './state.ts'

/** The first-party, strictly necessary cookie that keeps the visitor's choice. */
export const CONSENT_COOKIE = 'parley_consent'

const EPOCH = 'Thu, 01 Jan 1970 00:00:00 GMT'

/** The stored choice, or null when there is none or it cannot be read. */
export function readConsent(): ConsentState | null {
  const raw = document.cookie.split('; ').find((c) => c.startsWith(`${CONSENT_COOKIE}=`))
  if (raw === undefined) return null
  try {
    const value = JSON.parse(decodeURIComponent(raw.slice(CONSENT_COOKIE.length + 1)))
    const whole =
      typeof value?.consentId === 'string' &&
      typeof value.revision === 'number' &&
      value.choices instanceof Object &&
      value.services instanceof Object
    return whole ? value : null
  } catch {
    return null
  }
}

export function writeConsent(state: ConsentState, days: number): void {
  const secure = location.protocol === 'https:' ? '; Secure' : ''
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is not in every browser
  document.cookie = `${CONSENT_COOKIE}=${encodeURIComponent(JSON.stringify(state))}; Max-Age=${days * 86400}; Path=/; SameSite=Lax${secure}`
}

function cookieNames(): string[] {
  return document.cookie
    .split('; ')
    .filter(Boolean)
    .map((c) => c.split('=')[0]!)
}

function matching(names: string[], pattern: string): string[] {
  return pattern.endsWith('*')
    ? names.filter((n) => n.startsWith(pattern.slice(0, -1)))
    : names.filter((n) => n === pattern)
}

function expire(name: string, path: string, domain: string): void {
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is not in every browser
  document.cookie = `${name}=; Expires=${EPOCH}; Path=${path}${domain}`
}

/**
 * Removes cookies and storage keys of a withdrawn category. A cookie is deleted only with the
 * path and domain it was set with, which the page cannot read: every path up to this page's,
 * host-only and on every parent domain (none for an IP address), are tried.
 */
export function clearItems(items: readonly StoredItem[]): void {
  const host = location.hostname
  const labels = /^[\d.]+$|:/.test(host) ? [host] : host.split('.')
  const domains = [
    '',
    ...labels.slice(0, -1).map((_, i) => `; Domain=${labels.slice(i).join('.')}`),
  ]
  const segments = location.pathname.split('/').slice(1, -1)
  const paths = ['/', ...segments.map((_, i) => `/${segments.slice(0, i + 1).join('/')}`)]
  for (const item of items) {
    if (item.storage === 'cookie') {
      for (const name of matching(cookieNames(), item.name)) {
        for (const domain of domains) for (const path of paths) expire(name, path, domain)
      }
    } else {
      const store = item.storage === 'localStorage' ? localStorage : sessionStorage
      for (const key of matching(Object.keys(store), item.name)) store.removeItem(key)
    }
  }
}
