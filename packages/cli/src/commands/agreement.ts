import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { type Agreement, verifyAgreement } from '@parley/protocol'
import type { Command } from 'commander'
import { agreementXml, type DraftStateFile, draftXml } from '../agreement/akoma-ntoso.ts'
import { agreementHtml } from '../agreement/html.ts'
import { CliError } from '../errors.ts'

interface AgreementOptions {
  html?: string
  xml?: string
}

async function write(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text)
  } catch (error) {
    throw new CliError('FILE_UNWRITABLE', { path, reason: (error as Error).message })
  }
}

/**
 * Renders an agreement file (GET …/drafts/:draft/agreement, saved as it came) as a
 * self-verifying HTML page and as Akoma Ntoso XML; or an open draft's state (GET
 * …/drafts/:draft) as Akoma Ntoso XML with its alternatives. An agreement that does not verify
 * is refused: a page is never made for a text its signatures do not hold.
 */
export async function renderAgreement(file: string, options: AgreementOptions): Promise<string[]> {
  const path = resolve(file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new CliError('FILE_NOT_FOUND', { path })
    throw new CliError('FILE_UNREADABLE', { path, reason: (error as Error).message })
  }
  const written: string[] = []
  if (text.startsWith('{"adoptions":')) {
    const result = await verifyAgreement(text)
    if (!result.ok)
      throw new CliError('AGREEMENT_INVALID', { path, where: result.where, reason: result.reason })
    if (options.html !== undefined) {
      await write(resolve(options.html), await agreementHtml(text))
      written.push(resolve(options.html))
    }
    if (options.xml !== undefined) {
      const agreement = JSON.parse(text) as Agreement
      await write(resolve(options.xml), agreementXml(agreement, result.agreement))
      written.push(resolve(options.xml))
    }
    return written
  }
  let state: DraftStateFile
  try {
    state = JSON.parse(text) as DraftStateFile
  } catch {
    throw new CliError('AGREEMENT_INVALID', { path, where: 'the file', reason: 'not JSON' })
  }
  if (!Array.isArray(state.paragraphs) || typeof state.draft !== 'string') {
    throw new CliError('AGREEMENT_INVALID', {
      path,
      where: 'the file',
      reason: 'neither an agreement nor a draft’s state',
    })
  }
  if (options.html !== undefined) {
    throw new CliError('USAGE', { reason: 'only an adopted agreement has an HTML page; use --xml' })
  }
  if (options.xml !== undefined) {
    await write(resolve(options.xml), draftXml(state, Date.now()))
    written.push(resolve(options.xml))
  }
  return written
}

export function register(program: Command): void {
  program
    .command('agreement')
    .description(
      'render an agreement (JSON from the API) as a self-verifying HTML page and Akoma Ntoso ' +
        'XML, or an open draft’s state as Akoma Ntoso XML with its alternatives',
    )
    .argument('<file>', 'agreement.json, or a draft state saved from the API')
    .option('--html <file>', 'write the HTML page here')
    .option('--xml <file>', 'write the Akoma Ntoso XML here')
    .action(async (file: string, options: AgreementOptions) => {
      if (options.html === undefined && options.xml === undefined) {
        throw new CliError('USAGE', { reason: 'give --html <file>, --xml <file>, or both' })
      }
      for (const path of await renderAgreement(file, options))
        process.stdout.write(`wrote ${path}\n`)
    })
}
