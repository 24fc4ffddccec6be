import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  AGREEMENT_FORMAT,
  canonicalJson,
  createEvent,
  draftContentHash,
  type EventFields,
  generateKeyPair,
} from '@parley/protocol'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DraftStateFile, draftXml } from '../agreement/akoma-ntoso.ts'
import { verifyAgreementFile } from '../agreement/verify-agreement-file.ts'

const main = new URL('../main.ts', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'parley-agreement-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function parley(...args: string[]) {
  const result = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const CHANNEL = 'ch_01JZ8Q3V6R7T9W2X4Y5Z6A7B8C'
const TEXT = [
  {
    paragraph: 'p1',
    text: 'The Parties shall not <intentionally> damage grids & markets.',
    translations: { ru: 'Стороны не будут намеренно повреждать энергосети и рынки.' },
  },
  { paragraph: 'p2', text: 'Either Party may raise a breach.' },
]

/** A real agreement, signed by usa and rus with fresh keys, as the node exports it. */
async function makeAgreement(): Promise<string> {
  const keys = { usa: await generateKeyPair(), rus: await generateKeyPair() }
  const signer = (party: 'usa' | 'rus') => ({
    keyId: `${party}#1`,
    privateKey: keys[party].privateKey,
  })
  const base = (author: string, seq: number, prev: string | null) => ({
    v: 1 as const,
    channel: CHANNEL,
    author,
    seq,
    prev,
    heads: {},
    time: 1_780_000_000_000 + seq * 60_000,
  })
  const genesis = await createEvent(
    {
      ...base('usa', 1, null),
      type: 'channel.create',
      body: { title: 'Working group', members: ['usa', 'rus'], observers: [] },
    } as EventFields,
    signer('usa'),
  )
  const draft = await createEvent(
    {
      ...base('usa', 2, genesis.id),
      type: 'draft.create',
      body: {
        title: 'Joint statement',
        lang: 'en',
        paragraphs: TEXT.map((p) => ({
          id: p.paragraph,
          alternatives: [{ id: `${p.paragraph}.a`, text: p.text }],
        })),
      },
    } as EventFields,
    signer('usa'),
  )
  const contentHash = await draftContentHash(TEXT)
  const adoptUsa = await createEvent(
    {
      ...base('usa', 3, draft.id),
      type: 'draft.adopt',
      body: { draft: draft.id, contentHash },
    } as EventFields,
    signer('usa'),
  )
  const adoptRus = await createEvent(
    {
      ...base('rus', 2, 'f'.repeat(64)),
      type: 'draft.adopt',
      body: { draft: draft.id, contentHash },
    } as EventFields,
    signer('rus'),
  )
  const signed = (e: { event: unknown; sig: string }) => ({ event: e.event, sig: e.sig })
  return `${canonicalJson({
    format: AGREEMENT_FORMAT,
    channel: signed(genesis),
    draft: signed(draft),
    version: 1,
    contentHash,
    text: TEXT,
    adoptions: [signed(adoptUsa), signed(adoptRus)],
    keys: {
      usa: [{ id: 'usa#1', publicKey: keys.usa.publicKey }],
      rus: [{ id: 'rus#1', publicKey: keys.rus.publicKey }],
    },
  })}\n`
}

/** The agreement with one byte of its text changed (the text comes last in the file). */
function changeText(file: string): string {
  const at = file.lastIndexOf('Either Party')
  return `${file.slice(0, at)}Either party${file.slice(at + 'Either Party'.length)}`
}

describe('parley agreement and parley verify of an agreement', () => {
  const json = join(dir, 'agreement.json')
  const html = join(dir, 'agreement.html')
  const xml = join(dir, 'agreement.xml')
  let file: string

  beforeAll(async () => {
    file = await makeAgreement()
    writeFileSync(json, file)
    const rendered = parley('agreement', json, '--html', html, '--xml', xml)
    expect(rendered.stderr).toBe('')
    expect(rendered.code).toBe(0)
  })

  it('verifies the JSON and the HTML page offline', () => {
    for (const path of [json, html]) {
      const result = parley('verify', path)
      expect(result.stdout).toContain('OK: every member adopted exactly this text')
      expect(result.stdout).toMatch(/rus {2}key rus#1/)
      expect(result.code).toBe(0)
    }
  })

  it('fails on one changed byte anywhere in either export, and says where', async () => {
    // In-process, through the function `parley verify` calls: a spawn per byte is too slow.
    for (const [kind, original] of [
      ['json', file],
      ['html', readFileSync(html, 'utf8')],
    ] as const) {
      const bytes = Buffer.from(original)
      const step = Math.max(1, Math.floor(bytes.length / 150))
      for (let at = 0; at < bytes.length; at += step) {
        const tampered = new Uint8Array(bytes)
        tampered[at] = tampered[at]! === 0x41 ? 0x42 : tampered[at]! ^ 0x01
        const result = await verifyAgreementFile(tampered, kind)
        expect(result.ok, `byte ${at} of the ${kind} export`).toBe(false)
        if (!result.ok) expect(result.where).toMatch(/\S/)
      }
    }
    const report = (tampered: string) => {
      const out = join(dir, 'one.json')
      writeFileSync(out, tampered)
      const result = parley('verify', out, '--json')
      expect(result.code).toBe(1)
      return JSON.parse(result.stdout)
    }
    expect(report(changeText(file)).where).toBe('text')
    const sig = JSON.parse(file).adoptions[1].sig as string
    const flipped = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11)
    expect(report(file.replace(sig, flipped)).where).toBe('adoptions[1].sig')
    const page = readFileSync(html, 'utf8')
    const at = page.indexOf('Parley agreement')
    const changed = new TextEncoder().encode(`${page.slice(0, at)}parley${page.slice(at + 6)}`)
    expect(await verifyAgreementFile(changed, 'html')).toMatchObject({
      ok: false,
      where: `byte ${at} of the page`,
    })
  })

  it('refuses to render an agreement that does not verify (AGREEMENT_INVALID)', () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, changeText(file))
    const result = parley('agreement', bad, '--html', join(dir, 'bad.html'))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('AGREEMENT_INVALID')
    expect(result.stderr).toContain('at text')
  })

  it('writes well-formed Akoma Ntoso: an act with stable eIds and its signatories', () => {
    const text = readFileSync(xml, 'utf8')
    expect(XMLValidator.validate(text)).toBe(true)
    const doc = new XMLParser({ ignoreAttributes: false }).parse(text)
    const act = doc.akomaNtoso.act
    const paragraphs = [act.body.paragraph].flat()
    expect(paragraphs.map((p: Record<string, string>) => p['@_eId'])).toEqual([
      'para_p1',
      'para_p2',
    ])
    expect(JSON.stringify(paragraphs[0])).toContain('Стороны')
    expect(text).toContain('&lt;intentionally&gt; damage grids &amp; markets')
    expect(text).toContain('<party refersTo="#rus">rus</party>')
  })

  it('writes an open draft with its alternatives marked alternativeTo', () => {
    const state: DraftStateFile = {
      draft: 'd'.repeat(64),
      title: 'Open draft',
      lang: 'en',
      version: 1,
      paragraphs: [
        {
          eId: 'p1',
          num: 1,
          status: 'open',
          agreed: null,
          alternatives: [
            { id: 'p1.a', text: 'A.', owner: 'rus', withdrawn: false },
            { id: 'p1.b', text: 'B.', owner: 'usa', withdrawn: false },
            { id: 'p1.c', text: 'C.', owner: 'osce', alternativeTo: 'p1.b', withdrawn: false },
          ],
        },
      ],
    }
    const text = draftXml(state, 0)
    expect(XMLValidator.validate(text)).toBe(true)
    const paragraphs = new XMLParser({ ignoreAttributes: false }).parse(text).akomaNtoso.bill.body
      .paragraph
    expect(
      paragraphs.map((p: Record<string, string>) => [p['@_eId'], p['@_alternativeTo']]),
    ).toEqual([
      ['para_p1', undefined],
      ['para_p1__alt_p1.b', 'para_p1'],
      ['para_p1__alt_p1.c', 'para_p1__alt_p1.b'],
    ])
  })

  it('the page verifies itself offline in Chromium, in each language, and says so', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    })
    try {
      const context = await browser.newContext({ offline: true })
      const page = await context.newPage()
      await page.goto(pathToFileURL(html).href)
      await page.waitForSelector('body[data-verification]')
      expect(await page.getAttribute('body', 'data-verification')).toBe('verified')
      expect(await page.textContent('#status')).toContain('Verified in this browser')
      expect(await page.textContent('section[data-lang="en"]')).toContain('damage grids & markets')
      expect(await page.textContent('section[data-lang="ru"]')).toContain('Стороны не будут')

      // The same page with the embedded agreement's text changed (as base64, one byte).
      const original = readFileSync(html, 'utf8')
      const tamperedFile = changeText(file)
      const b64 = (s: string) => Buffer.from(s).toString('base64')
      const tampered = join(dir, 'tampered-page.html')
      writeFileSync(tampered, original.replace(b64(file), b64(tamperedFile)))
      await page.goto(pathToFileURL(tampered).href)
      await page.waitForSelector('body[data-verification]')
      expect(await page.getAttribute('body', 'data-verification')).toBe('failed')
      expect(await page.textContent('#status')).toContain('NOT VERIFIED: text:')
    } finally {
      await browser.close()
    }
  }, 60_000)
})
