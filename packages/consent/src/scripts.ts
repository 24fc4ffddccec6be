import type { CategoryId } from './categories.ts'
import type { ConsentState } from './state.ts'

/**
 * Runs each `<script type="text/plain" data-category="…">` (and `data-service="…"`) the choice
 * allows, re-created as a real script: the browser never runs one whose type it changes in place.
 */
export function activateScripts(state: ConsentState): void {
  const blocked = document.querySelectorAll<HTMLScriptElement>(
    'script[type="text/plain"][data-category]',
  )
  for (const script of blocked) {
    const service = script.dataset.service
    const allowed =
      state.choices[script.dataset.category as CategoryId] === true &&
      (service === undefined || state.services[service] === true)
    if (!allowed) continue
    const real = document.createElement('script')
    for (const { name, value } of script.attributes) {
      if (name !== 'type') real.setAttribute(name, value)
    }
    if (script.dataset.type !== undefined) real.type = script.dataset.type
    // A page under a nonce CSP: the browser hides the attribute, the property keeps it.
    real.nonce = script.nonce
    // Scripts made by the DOM load async; in page order they keep their dependencies.
    real.async = false
    real.text = script.text
    script.replaceWith(real)
  }
}
