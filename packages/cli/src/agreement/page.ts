// The script of an agreement's HTML page, bundled with the protocol's verifier: opened offline,
// the page checks every signature itself before it shows the text. Only textContent is written,
// so nothing in the agreement can become markup.
import { verifyAgreement } from '@parley/protocol'

function element(tag: string, text?: string, className?: string): HTMLElement {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  if (className !== undefined) node.className = className
  return node
}

async function main(): Promise<void> {
  const out = document.getElementById('out')!
  const status = document.getElementById('status')!
  const embedded = document.getElementById('agreement')!.textContent ?? ''
  let text: string
  try {
    const binary = atob(embedded.trim())
    text = new TextDecoder('utf-8', { fatal: true }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    )
  } catch (error) {
    status.textContent = `NOT VERIFIED: the embedded agreement is not readable (${(error as Error).message}).`
    status.className = 'failed'
    document.body.dataset.verification = 'failed'
    return
  }
  const result = await verifyAgreement(text)
  if (!result.ok) {
    status.textContent = `NOT VERIFIED: ${result.where}: ${result.reason}. Do not rely on this text.`
    status.className = 'failed'
    document.body.dataset.verification = 'failed'
    return
  }
  const { agreement } = result
  status.textContent =
    `Verified in this browser: every member (${agreement.signatories.map((s) => s.party).join(', ')}) ` +
    `signed the adoption of exactly this text (SHA-256 ${agreement.contentHash}), and every signature holds.`
  status.className = 'verified'
  document.body.dataset.verification = 'verified'
  document.title = agreement.title
  out.append(element('h1', agreement.title))
  const languages = [
    agreement.lang,
    ...new Set(agreement.text.flatMap((p) => Object.keys(p.translations ?? {}))),
  ].filter((lang, i, all) => all.indexOf(lang) === i)
  for (const lang of languages) {
    const section = element('section')
    section.lang = lang
    section.dataset.lang = lang
    section.append(element('h2', `Text (${lang})`))
    const list = element('ol')
    for (const paragraph of agreement.text) {
      const wording = lang === agreement.lang ? paragraph.text : paragraph.translations?.[lang]
      const item = element('li', wording ?? `(no ${lang} text of ${paragraph.paragraph})`)
      item.id = `para_${paragraph.paragraph}`
      list.append(item)
    }
    section.append(list)
    out.append(section)
  }
  out.append(element('h2', 'Signatories'))
  const table = element('ul')
  for (const s of agreement.signatories) {
    table.append(
      element(
        'li',
        `${s.party}, key ${s.key}, ${new Date(s.time).toISOString()}, adopt event ${s.event}`,
      ),
    )
  }
  out.append(table)
  out.append(
    element(
      'p',
      `Draft ${agreement.draft}, version ${agreement.version}, channel ${agreement.channel}.`,
      'meta',
    ),
  )
}

void main()
