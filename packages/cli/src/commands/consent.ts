import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { CliError } from '../errors.ts'
import { withNode } from '../node-database.ts'

/** `parley consent export`: the signed consent receipts, for `parley verify` anywhere. */
export function register(program: Command): void {
  const consent = program.command('consent').description('proof of consent: the signed receipts')
  consent
    .command('export')
    .description(
      'write every consent receipt, in chain order, as JSON lines: the checkpoint of the last ' +
        'prune, the receipts, and a head signed now (verify with parley verify <file> --key …)',
    )
    .requiredOption('--out <file>', 'where to write, e.g. receipts.jsonl')
    .option('--data-dir <dir>', 'the node directory made by parley init', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .action(async (options: { out: string; dataDir: string; config?: string }) => {
      const server = await import('@parley/server')
      const location = {
        dataDir: options.dataDir,
        ...(options.config === undefined ? {} : { config: options.config }),
      }
      const path = resolve(options.out)
      const count = await withNode(location, async ({ config, ctx }) => {
        const identity = await server.loadNodeIdentity(config)
        const party = config.privacy?.party ?? config.parties[0]!.id
        const out = createWriteStream(path, { flags: 'wx' })
        const failed = once(out, 'error').then(([error]) => {
          throw new CliError('FILE_UNWRITABLE', { path, reason: (error as Error).message })
        })
        let lines = 0
        const write = async () => {
          for await (const line of server.exportConsentLines(
            { db: ctx.db, identity, now: Date.now },
            party,
          )) {
            if (!out.write(`${line}\n`)) await once(out, 'drain')
            lines += 1
          }
          out.end()
          await once(out, 'finish')
        }
        await Promise.race([write(), failed])
        return lines
      })
      process.stdout.write(`Wrote ${count} lines to ${path}\n`)
    })
}
