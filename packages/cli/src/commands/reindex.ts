import type { ReindexProgress } from '@parley/server'
import type { Command } from 'commander'
import { CliError } from '../errors.ts'
import { withNode } from '../node-database.ts'

interface ReindexOptions {
  dataDir: string
  config?: string
  batchSize: string
}

/**
 * `parley reindex`: rebuilds every read model of a stopped node from its log and receipts,
 * with progress on stderr. The node's tables keep their old rows until the rebuild replaces
 * them in one step, so an interrupted run changes nothing and can be run again.
 */
async function reindexCommand(options: ReindexOptions): Promise<void> {
  const batchSize = Number(options.batchSize)
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new CliError('USAGE', { reason: '--batch-size takes a whole number of at least 1' })
  }
  const server = await import('@parley/server')
  // Embedded PGlite: opening refuses while the node listens. PostgreSQL: the database lock
  // refuses while any node runs on it (DATABASE_IN_USE).
  await withNode(options, async (node) => {
    const registry = server.readModels()
    const started = performance.now()
    const done = await server.reindex(node.ctx.db, registry, {
      hosted: node.ctx.parties,
      batchSize,
      onProgress: (progress) => {
        if (!progress.done) process.stderr.write(`parley reindex: ${replayed(progress)}\n`)
      },
    })
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    process.stdout.write(
      `Rebuilt the read models (${registry.tables.join(', ')}) of node ${node.config.node} ` +
        `from ${replayed(done)} in ${seconds} s\n`,
    )
  })
}

function replayed(progress: ReindexProgress): string {
  const count = (n: number) => n.toLocaleString('en')
  return (
    `${count(progress.events)} of ${count(progress.totalEvents)} events, ` +
    `${count(progress.receipts)} of ${count(progress.totalReceipts)} receipts`
  )
}

export function register(program: Command): void {
  program
    .command('reindex')
    .description("rebuild a stopped node's read models from its log and receipts")
    .option('--data-dir <dir>', 'the node directory', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .option('--batch-size <n>', 'events and receipts replayed per transaction', '1000')
    .action(reindexCommand)
}
