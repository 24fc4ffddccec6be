type Child = Node | string | false | undefined

/** An element with attributes (true: present, false or undefined: absent) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== false) {
      element.setAttribute(name, value === true ? '' : value)
    }
  }
  element.append(...children.filter((c): c is Node | string => c !== false && c !== undefined))
  return element
}

/** What Tab can reach inside a container, in order, skipping what is hidden or disabled. */
export function tabbable(container: Element): HTMLElement[] {
  return [
    ...container.querySelectorAll<HTMLElement>('a[href],button,input,summary,[tabindex="0"]'),
  ].filter((e) => !(e as HTMLInputElement).disabled && e.getClientRects().length > 0)
}

/**
 * Keeps Tab and Shift+Tab inside a modal dialog and closes it on Escape; Enter turns a switch
 * as Space does. It listens on the document, not the dialog: a click on the backdrop puts
 * focus on the body, and the trap must hold there too. Returns the release.
 */
export function trapFocus(dialog: HTMLElement, close: () => void): () => void {
  const onKey = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement
    const inside = dialog.contains(target)
    if (event.key === 'Escape') {
      event.preventDefault()
      close()
    } else if (event.key === 'Enter' && inside && target instanceof HTMLInputElement) {
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
  document.addEventListener('keydown', onKey)
  return () => document.removeEventListener('keydown', onKey)
}
