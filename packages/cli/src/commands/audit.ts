import type { Command } from 'commander'
import { CliError } from '../errors.ts'
import { withNode } from '../node-database.ts'

/** `parley audit verify`: recomputes the local audit log's hash chain. */
export function register(program: Command): void {
  const audit = program.command('audit').description('the node’s local, hash-chained audit log')
  audit
    .command('verify')
    .description('recompute the hash chain from the first row and report the first broken one')
    .option('--data-dir <dir>', 'the node directory made by parley init', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .option('--json', 'print the verdict as JSON')
    .action(async (options: { dataDir: string; config?: string; json?: boolean }) => {
      const { verifyAuditChain } = await import('@parley/server')
      const location = {
        dataDir: options.dataDir,
        ...(options.config === undefined ? {} : { config: options.config }),
      }
      const verdict = await withNode(location, ({ ctx }) => verifyAuditChain(ctx.db))
      if (options.json === true) process.stdout.write(`${JSON.stringify(verdict)}\n`)
      if (!verdict.ok) {
        if (options.json === true) process.exitCode = 1
        else throw new CliError('AUDIT_CHAIN_BROKEN', verdict.broken)
        return
      }
      if (options.json !== true) {
        process.stdout.write(
          `Audit log intact: ${verdict.rows} rows, head ${verdict.head ?? '(empty)'}\n` +
            'Keep the head: rows removed from the end can only be noticed against it.\n',
        )
      }
    })
}
