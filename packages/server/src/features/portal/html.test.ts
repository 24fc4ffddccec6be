import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { html, jsonBlock } from './html.ts'

describe('portal markup', () => {
  it('escapes every interpolated text, so no text from the log becomes markup (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite' }), (text) => {
        const body = html`<p>${text}</p>`.text.slice('<p>'.length, -'</p>'.length)
        const attribute = html`<a title="${text}">`.text.slice('<a title="'.length, -'">'.length)
        expect(body).not.toMatch(/[<>]/)
        expect(attribute).not.toMatch(/[<>"]/)
        const decoded = body.replace(
          /&(lt|gt|quot|#39|amp);/g,
          (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!,
        )
        expect(decoded).toBe(text)
      }),
    )
  })

  it('keeps markup made by html, and nothing falsy', () => {
    const item = html`<li>${'a<b'}</li>`
    expect(html`<ul>${[item, null, false, undefined]}</ul>`.text).toBe('<ul><li>a&lt;b</li></ul>')
  })

  it('writes JSON that cannot close its script block (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const block = jsonBlock(value).text
        expect(block).not.toContain('<')
        expect(JSON.parse(block)).toEqual(JSON.parse(JSON.stringify(value)))
      }),
    )
  })
})
