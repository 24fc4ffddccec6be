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
