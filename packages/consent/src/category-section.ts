import { type CategoryId, type Language, NECESSARY } from './categories.ts'
import type { ConsentConfig, StoredItem, Texts } from './config.ts'
import { h } from './dom.ts'
import { type ConsentState, locked } from './state.ts'

export interface SectionContext {
  readonly config: ConsentConfig
  readonly texts: Texts
  readonly language: Language
  readonly gpc: boolean
}

const localized = (text: { en: string; ru?: string } | undefined, language: Language) =>
  text === undefined ? undefined : language === 'ru' ? (text.ru ?? text.en) : text.en

function toggle(id: string, label: Record<string, string>, checked: boolean, disabled: boolean) {
  return h('input', { type: 'checkbox', role: 'switch', id, ...label, checked, disabled })
}

function table({ texts: t, language }: SectionContext, name: string, items: readonly StoredItem[]) {
  const cell = (tag: 'th' | 'td', text: string | undefined) =>
    h(tag, tag === 'th' ? { scope: 'col' } : {}, text ?? '')
  return h(
    'table',
    {},
    h('caption', { class: 'pc-sr' }, name),
    h('thead', {}, h('tr', {}, ...[t.name, t.type, t.purpose, t.expiry].map((x) => cell('th', x)))),
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

/**
 * One category of the preference center: its switch (fixed for Strictly Necessary, locked off
 * under GPC), and beneath it each service's switch and cookie table. A category is on while
 * one of its services is.
 */
export function categorySection(
  context: SectionContext,
  id: CategoryId,
  state: ConsentState | null,
): HTMLElement {
  const { config, texts: t, language, gpc } = context
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
                s.cookies.length > 0 && table(context, s.name, s.cookies),
              ),
            ),
          ),
    ),
  )
}
