import type { ConsentReceiptRequest } from './config.ts'

/** What the visitor read: the text of the banner or preference center, whitespace collapsed. */
export function shownText(surface: Element): string {
  return (surface.textContent ?? '').replace(/\s+/g, ' ').trim()
}

/** SHA-256, hex, of the UTF-8 of a text. */
export async function textHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Posts a receipt and, when that fails, once more after `retryMs`. Never throws and never
 * holds the page: a lost receipt is the node's gap to see, not the visitor's wait.
 */
export function postReceipt(endpoint: string, receipt: ConsentReceiptRequest, retryMs: number) {
  const send = () =>
    fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(receipt),
      keepalive: true,
      credentials: 'same-origin',
    }).then((response) => {
      if (!response.ok) throw new Error(String(response.status))
    })
  send().catch(() => setTimeout(() => send().catch(() => {}), retryMs))
}
