import type { CategoryId } from './categories.ts'
import type { ConsentState } from './state.ts'

/** A blocked script waiting its turn: it must not be taken twice. */
const QUEUED = 'data-consent-queued'

/**
 * Runs each `<script type="text/plain" data-category="…">` (and `data-service="…"`) the choice
 * allows, re-created as a real script: the browser never runs one whose type it changes in
 * place. They run in page order: one with a `src` loads before the next starts.
 */
export function activateScripts(state: ConsentState): void {
  const queue = [
    ...document.querySelectorAll<HTMLScriptElement>(
      `script[type="text/plain"][data-category]:not([${QUEUED}])`,
    ),
  ].filter(
    ({ dataset }) =>
      state.choices[dataset.category as CategoryId] === true &&
      (dataset.service === undefined || state.services[dataset.service] === true),
  )
  for (const script of queue) script.setAttribute(QUEUED, '')
  const next = (): void => {
    const script = queue.shift()
    if (script === undefined) return
    const real = document.createElement('script')
    for (const { name, value } of script.attributes) {
      if (name !== 'type' && name !== QUEUED) real.setAttribute(name, value)
    }
    if (script.dataset.type !== undefined) real.type = script.dataset.type
    // A page under a nonce CSP: the browser hides the attribute, the property keeps it.
    real.nonce = script.nonce
    real.text = script.text
    if (real.src === '') {
      script.replaceWith(real)
      next()
    } else {
      real.onload = real.onerror = next
      script.replaceWith(real)
    }
  }
  next()
}
