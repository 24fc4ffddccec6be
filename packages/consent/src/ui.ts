import { CATEGORIES, type CategoryId, type Language } from './categories.ts'
import { categorySection } from './category-section.ts'
import type { ConsentConfig, Texts } from './config.ts'
import { h, trapFocus } from './dom.ts'
import type { ConsentState } from './state.ts'

export type Action = 'allow' | 'reject' | 'save'

export interface Draft {
  choices: Partial<Record<CategoryId, boolean>>
  services: Record<string, boolean>
}

export interface UiOptions {
  config: ConsentConfig
  texts: Texts
  language: Language
  gpc: boolean
  /** The choice as it stands, which the preference center opens on. */
  current: () => ConsentState | null
  /** A button was pressed on `surface` (the banner or the preference center). */
  choose: (action: Action, surface: Element, draft: Draft) => void
}

/** The banner and the preference center, built on demand. */
export function consentUi(options: UiOptions) {
  const { config, texts: t, gpc, language } = options
  let banner: HTMLElement | undefined
  let overlay: HTMLElement | undefined
  let opener: Element | null = null
  let release: (() => void) | undefined

  // One grid row of equal columns: Reject All is as wide as Allow All in every language.
  const buttons = (surface: () => Element, draft: () => Draft, save: boolean) =>
    h(
      'div',
      { class: 'pc-pair' },
      ...(['reject', 'allow', ...(save ? ['save'] : [])] as Action[]).map((action) => {
        const button = h(
          'button',
          { type: 'button', class: 'pc-btn', 'data-action': action },
          t[action === 'allow' ? 'allowAll' : action === 'reject' ? 'rejectAll' : 'save'],
        )
        button.onclick = () => options.choose(action, surface(), draft())
        return button
      }),
    )

  function showBanner(): void {
    if (banner?.isConnected) return
    const settings = h('button', { type: 'button', class: 'pc-link' }, t.settings)
    settings.onclick = () => open()
    banner = h(
      'div',
      {
        class: 'pc pc-banner',
        id: 'pc-banner',
        role: 'region',
        'aria-labelledby': 'pc-bt',
        lang: language,
      },
      h('h2', { id: 'pc-bt' }, t.bannerTitle),
      h(
        'p',
        {},
        t.bannerText,
        config.policyUrl !== undefined && ' ',
        config.policyUrl !== undefined && h('a', { href: config.policyUrl }, t.policy),
      ),
      h(
        'div',
        { class: 'pc-row' },
        buttons(
          () => banner!,
          () => ({ choices: {}, services: {} }),
          false,
        ),
        settings,
      ),
    )
    // First in the document, so the keyboard reaches it first; fixed, so it moves nothing.
    document.body.prepend(banner)
  }

  function draft(dialog: Element): Draft {
    const checked = (id: string) =>
      (dialog.querySelector(`#${CSS.escape(id)}`) as HTMLInputElement | null)?.checked === true
    const services: Record<string, boolean> = {}
    for (const c of config.categories) {
      for (const s of c.services) services[s.id] = checked(`pc-s-${s.id}`)
    }
    return {
      choices: Object.fromEntries(CATEGORIES.map((id) => [id, checked(`pc-c-${id}`)])),
      services,
    }
  }

  /** Opens the preference center, its focus trapped, on the choice as it stands. */
  function open(): void {
    close()
    const state = options.current()
    opener = document.activeElement
    const dialog = h(
      'div',
      {
        class: 'pc-center',
        role: 'dialog',
        'aria-modal': 'true',
        'aria-labelledby': 'pc-ct',
        'aria-describedby': 'pc-cd',
        tabindex: '-1',
        lang: language,
      },
      h(
        'div',
        { class: 'pc-head' },
        h('h2', { id: 'pc-ct' }, t.centerTitle),
        h(
          'button',
          { type: 'button', class: 'pc-x', 'aria-label': t.close, 'data-action': 'close' },
          '×',
        ),
      ),
      h('p', { id: 'pc-cd' }, t.centerText),
      gpc &&
        h(
          'div',
          { class: 'pc-gpc', role: 'status' },
          h('strong', {}, t.gpc),
          h('p', {}, t.gpcText),
        ),
      ...CATEGORIES.map((id) => categorySection({ config, texts: t, language, gpc }, id, state)),
    )
    dialog.append(
      buttons(
        () => dialog,
        () => draft(dialog),
        true,
      ),
    )
    overlay = h('div', { class: 'pc pc-overlay' }, dialog)
    dialog.querySelector<HTMLElement>('.pc-x')!.onclick = close
    release = trapFocus(dialog, close)
    document.body.append(overlay)
    dialog.focus()
  }

  /** Closes the preference center and gives focus back to what opened it. */
  function close(): void {
    if (overlay === undefined) return
    overlay.remove()
    overlay = undefined
    release?.()
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus()
  }

  /** A choice was made: the banner goes, and the preference center with it. */
  function done(): void {
    banner?.remove()
    close()
  }

  return { showBanner, open, done }
}
