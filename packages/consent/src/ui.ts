import { CATEGORIES, type CategoryId, type Language, NECESSARY } from './categories.ts'
import type { ConsentConfig, StoredItem, Texts } from './config.ts'
import { h, tabbable } from './dom.ts'
import { type ConsentState, locked } from './state.ts'

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

const localized = (text: { en: string; ru?: string } | undefined, language: Language) =>
  text === undefined ? undefined : language === 'ru' ? (text.ru ?? text.en) : text.en

/** The banner and the preference center, built on demand. */
export function consentUi(options: UiOptions) {
  const { config, texts: t, gpc, language } = options
  let banner: HTMLElement | undefined
  let overlay: HTMLElement | undefined
  let opener: Element | null = null
  let trap: ((event: KeyboardEvent) => void) | undefined

  const buttons = (surface: () => Element, draft: () => Draft, save: boolean) =>
    h(
      'div',
      { class: 'pc-row' },
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
      buttons(
        () => banner!,
        () => ({ choices: {}, services: {} }),
        false,
      ),
    )
    banner.querySelector('.pc-row')!.append(settings)
    // First in the document, so the keyboard reaches it first; fixed, so it moves nothing.
    document.body.prepend(banner)
  }

  function toggle(id: string, label: Record<string, string>, checked: boolean, disabled: boolean) {
    return h('input', { type: 'checkbox', role: 'switch', id, ...label, checked, disabled })
  }

  function table(name: string, items: readonly StoredItem[]) {
    const cell = (tag: 'th' | 'td', text: string | undefined) =>
      h(tag, tag === 'th' ? { scope: 'col' } : {}, text ?? '')
    return h(
      'table',
      {},
      h('caption', { class: 'pc-sr' }, name),
      h(
        'thead',
        {},
        h('tr', {}, ...[t.name, t.type, t.purpose, t.expiry].map((x) => cell('th', x))),
      ),
      h(
        'tbody',
        {},
        ...items.map((item) =>
          h(
            'tr',
            {},
            cell('td', item.name),
            cell('td', item.storage),
            cell('td', localized(item.purpose, language)),
            cell('td', localized(item.expiry, language)),
          ),
        ),
      ),
    )
  }

  function category(id: CategoryId, state: ConsentState | null) {
    const services = config.categories.find((c) => c.id === id)?.services ?? []
    const fixed = id === NECESSARY
    const off = locked(id, gpc)
    const on = fixed || (!off && state?.choices[id] === true)
    const main = toggle(`pc-c-${id}`, { 'aria-labelledby': `pc-h-${id}` }, on, fixed || off)
    const own = services.map((s) =>
      toggle(
        `pc-s-${s.id}`,
        { 'aria-label': s.name },
        fixed || (!off && state?.services[s.id] === true),
        fixed || off,
      ),
    )
    main.onchange = () => {
      for (const input of own) input.checked = main.checked
    }
    const follow = () => {
      main.checked = own.some((i) => i.checked)
      main.indeterminate = main.checked && !own.every((i) => i.checked)
    }
    for (const input of own) input.onchange = follow
    if (own.length > 0 && !fixed) follow()
    const count = services.reduce((n, s) => n + s.cookies.length, 0)
    return h(
      'section',
      { class: 'pc-cat', 'aria-labelledby': `pc-h-${id}` },
      h(
        'div',
        { class: 'pc-toggle' },
        h('h3', { id: `pc-h-${id}` }, t[id]),
        fixed && h('span', { class: 'pc-on' }, t.alwaysOn),
        main,
      ),
      h('p', {}, t[`${id}Text`]),
      h(
        'details',
        {},
        h('summary', {}, `${t.details} (${count})`),
        services.length === 0
          ? h('p', {}, t.noCookies)
          : h(
              'div',
              {},
              ...services.map((s, i) =>
                h(
                  'div',
                  { class: 'pc-svc' },
                  h('div', { class: 'pc-toggle' }, h('strong', {}, s.name), own[i]),
                  s.description !== undefined && h('p', {}, localized(s.description, language)),
                  s.cookies.length > 0 && table(s.name, s.cookies),
                ),
              ),
            ),
      ),
    )
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
      ...CATEGORIES.map((id) => category(id, state)),
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
    // On the document, not the dialog: a click on the backdrop puts focus on the body, and
    // the trap and Escape must hold there too.
    trap = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement
      const inside = dialog.contains(target)
      if (event.key === 'Escape') {
        event.preventDefault()
        close()
      } else if (event.key === 'Enter' && inside && target instanceof HTMLInputElement) {
        // A switch turns with Enter as well as Space.
        event.preventDefault()
        target.click()
      } else if (event.key === 'Tab') {
        const reachable = tabbable(dialog)
        const first = reachable[0]!
        const last = reachable.at(-1)!
        if (event.shiftKey && (!inside || target === first || target === dialog)) {
          event.preventDefault()
          last.focus()
        } else if (!event.shiftKey && (!inside || target === last)) {
          event.preventDefault()
          first.focus()
        }
      }
    }
    document.addEventListener('keydown', trap)
    document.body.append(overlay)
    dialog.focus()
  }

  /** Closes the preference center and gives focus back to what opened it. */
  function close(): void {
    if (overlay === undefined) return
    overlay.remove()
    overlay = undefined
    if (trap !== undefined) document.removeEventListener('keydown', trap)
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus()
  }

  /** A choice was made: the banner goes, and the preference center with it. */
  function done(): void {
    banner?.remove()
    close()
  }

  return { showBanner, open, done }
}
