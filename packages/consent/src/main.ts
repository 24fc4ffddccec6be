import { NECESSARY } from './categories.ts'
import type { ConsentConfig, Texts } from './config.ts'
import { postReceipt, shownText, textHash } from './receipt.ts'
import { activateScripts } from './scripts.ts'
import { consentMode, installUspApi } from './signals.ts'
import { type ConsentState, everything, settle, uuid } from './state.ts'
import { clearItems, readConsent, writeConsent } from './storage.ts'
import { TEXTS } from './texts.ts'
import { consentUi } from './ui.ts'

/** The page's API: `window.ParleyConsent`. */
export interface ParleyConsent {
  /** Opens the preference center. */
  open(): void
  /** The choice for this revision, or null while the visitor has made none. */
  get(): ConsentState | null
  /** Calls `listener` after every choice; returns a function that stops it. */
  onChange(listener: (state: ConsentState) => void): () => void
}

declare global {
  interface Window {
    ParleyConsent?: ParleyConsent
  }
  interface Navigator {
    globalPrivacyControl?: boolean
  }
}

function start(): void {
  const source = document.getElementById('parley-consent-config')
  if (source === null) return
  const config = JSON.parse(source.textContent ?? '') as ConsentConfig
  const gpc = navigator.globalPrivacyControl === true
  const language = config.language ?? (/^ru\b/i.test(document.documentElement.lang) ? 'ru' : 'en')
  const texts = { ...TEXTS[language], ...config.texts?.[language] } as Texts
  const stored = readConsent()
  // A choice made on another revision of the banner is no choice for this one; its id stays,
  // so the receipts of one browser link up.
  const consentId = stored?.consentId ?? uuid()
  let state = stored?.revision === config.revision ? stored : null
  // A browser that sends GPC now is opted out of sale and sharing whatever it chose before.
  if (state !== null && gpc) state = { ...state, ...settle(config, state, gpc), gpc }
  const listeners = new Set<(state: ConsentState) => void>()

  const sendReceipt = (next: ConsentState, text: string) =>
    textHash(text)
      .then((hash) =>
        postReceipt(
          config.receiptEndpoint,
          {
            consentId,
            revision: config.revision,
            choices: next.choices,
            services: next.services,
            textHash: hash,
            url: location.origin + location.pathname,
            gpc,
            language,
          },
          config.receiptRetryMs ?? 10_000,
        ),
      )
      // Without a secure context there is no crypto.subtle, and so no receipt.
      .catch(() => {})

  const ui = consentUi({
    config,
    texts,
    language,
    gpc,
    current: () => state,
    choose(action, surface, draft) {
      const chosen = action === 'save' ? draft : everything(config, action === 'allow')
      const next: ConsentState = {
        consentId,
        revision: config.revision,
        ...settle(config, chosen, gpc),
        gpc,
      }
      const text = shownText(surface)
      writeConsent(next, config.cookieDays ?? 180)
      for (const category of config.categories) {
        for (const service of category.services) {
          if (category.id !== NECESSARY && !next.services[service.id]) clearItems(service.cookies)
        }
      }
      state = next
      ui.done()
      activateScripts(next)
      if (config.googleConsentMode === true) consentMode('update', next)
      sendReceipt(next, text)
      for (const listener of listeners) {
        // One page's faulty listener must not keep the others from hearing.
        try {
          listener(next)
        } catch (error) {
          reportError(error)
        }
      }
    },
  })

  window.ParleyConsent = {
    open: () => ui.open(),
    get: () => state,
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
  document.addEventListener('click', (event) => {
    if ((event.target as Element).closest?.('[data-parley-consent="open"]')) {
      event.preventDefault()
      ui.open()
    }
  })
  if (config.googleConsentMode === true) consentMode('default', state)
  if (config.usPrivacy === true) installUspApi(() => state)
  if (state === null) ui.showBanner()
  else activateScripts(state)
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()
