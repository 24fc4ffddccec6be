import type { ConsentState } from './state.ts'

type Gtag = (...args: unknown[]) => void

declare global {
  interface Window {
    gtag?: Gtag
    dataLayer?: unknown[]
    __uspapi?: (
      command: string,
      version: number,
      callback: (data: { version: number; uspString: string } | null, ok: boolean) => void,
    ) => void
  }
}

/**
 * Google Consent Mode v2: `default` once at load and `update` on each choice, through `gtag`
 * when the page has it, else onto `dataLayer` as gtag itself would (an `arguments` object).
 */
export function consentMode(kind: 'default' | 'update', state: ConsentState | null): void {
  const on = (granted: boolean | undefined) => (granted === true ? 'granted' : 'denied')
  const ads = on(state?.choices.targeting)
  const signals = {
    ad_storage: ads,
    ad_user_data: ads,
    ad_personalization: ads,
    analytics_storage: on(state?.choices.performance),
  }
  if (typeof window.gtag === 'function') window.gtag('consent', kind, signals)
  else {
    const dataLayer = window.dataLayer ?? []
    window.dataLayer = dataLayer
    const push = function (..._: unknown[]) {
      // biome-ignore lint/complexity/noArguments: gtag.js reads an arguments object, not an array
      dataLayer.push(arguments)
    }
    push('consent', kind, signals)
  }
}

/**
 * The IAB US Privacy string: version 1, notice given (Y), opted out of sale (Y unless Sale of
 * Personal Data is on), not under the LSPA (N).
 */
export function usPrivacyString(state: ConsentState | null): string {
  return `1Y${state?.choices.sale === true ? 'N' : 'Y'}N`
}

/** Answers `__uspapi('getUSPData', 1, callback)` with the current string. */
export function installUspApi(current: () => ConsentState | null): void {
  window.__uspapi = (command, version, callback) => {
    if (command === 'getUSPData' && version === 1) {
      callback({ version: 1, uspString: usPrivacyString(current()) }, true)
    } else callback(null, false)
  }
}
