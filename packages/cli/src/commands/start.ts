import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { CliError } from '../errors.ts'

/** `parley start`: runs a node until Ctrl-C, then shuts it down gracefully. */
export function register(program: Command): void {
  program
    .command('start')
    .description('run a node (embedded PGlite, or PostgreSQL when DATABASE_URL is set)')
    .option('--data-dir <dir>', 'the node directory made by parley init', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .action(async (options: { dataDir: string; config?: string }) => {
      const { closeOnSignals, runNode } = await import('@parley/server')
      const file = resolve(options.config ?? join(options.dataDir, 'parley.json'))
      const node = await runNode(file).catch((error: unknown) => {
        const { address, port } = error as NodeJS.ErrnoException & {
          address?: string
          port?: number
        }
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
        throw new CliError('PORT_IN_USE', { address: `${address}:${port}`, path: file })
      })
      // Ctrl-C is handled before the node says it may be pressed.
      const closed = new Promise<void>((done) => closeOnSignals(node, done))
      process.stdout.write(
        `Node ${node.app.identity.node} listening on ${node.address}\n` +
          `  API docs  ${node.address}/api/docs\n` +
          `  parties   ${[...node.app.identity.parties.keys()].join(', ')}\n` +
          'Press Ctrl-C to stop.\n',
      )
      await closed
    })
}
