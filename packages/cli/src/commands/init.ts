import { resolve } from 'node:path'
import type { Command } from 'commander'
import { CliError } from '../errors.ts'

const collect = (value: string, previous: string[]) => [...previous, value]

/** `parley init`: a node directory with its config and the hosted parties' keys. */
export function register(program: Command): void {
  program
    .command('init')
    .description('create a node: parley.json, a data directory and Ed25519 keys for each party')
    .requiredOption('--party <id>', 'a party this node hosts (repeat for hosted mode)', collect, [])
    .requiredOption(
      '--name <name>',
      'the party’s full name (one per --party, in order)',
      collect,
      [],
    )
    .option('--data-dir <dir>', 'the node directory', 'parley-data')
    .option('--node <name>', 'the node’s name (default: the first party)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '7100')
    .option('--federation-url <url>', 'public base URL peers use (default: http://host:port)')
    .option('--admin <username>', 'username of the first admin officer', 'admin')
    .option(
      '--admin-password-file <file>',
      'the first admin’s password (default: generated, printed once)',
    )
    .action(async (options: InitOptions) => {
      if (options.party.length !== options.name.length) {
        throw new CliError('USAGE', { reason: 'give one --name for each --party, in order' })
      }
      const port = Number(options.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new CliError('USAGE', { reason: `--port ${options.port} is not a port number` })
      }
      const dir = resolve(options.dataDir)
      // Loaded here, so commands that need no node do not pay for the server.
      const { initNodeDirectory } = await import('@parley/server')
      const result = await initNodeDirectory({
        dir,
        parties: options.party.map((id, i) => ({ id, name: options.name[i]! })),
        host: options.host,
        port,
        ...(options.node === undefined ? {} : { node: options.node }),
        ...(options.federationUrl === undefined ? {} : { federationUrl: options.federationUrl }),
        now: Date.now(),
      })
      const lines = [`Created ${result.configFile}`, '', 'Fingerprints (read them to your peers):']
      for (const [party, fp] of Object.entries(result.fingerprints)) lines.push(`  ${party}  ${fp}`)
      const { createInitialAdmins } = await import('./officer.ts')
      lines.push(
        '',
        await createInitialAdmins(result.configFile, {
          username: options.admin,
          ...(options.adminPasswordFile === undefined
            ? {}
            : { passwordFile: options.adminPasswordFile }),
        }),
      )
      lines.push(
        '',
        'For automation, issue an API token bound to an officer: parley officer token create <officer> --scope … --expires 30d',
      )
      lines.push('', `Start the node with: parley start --data-dir ${dir}`)
      process.stdout.write(`${lines.join('\n')}\n`)
    })
}

interface InitOptions {
  party: string[]
  name: string[]
  dataDir: string
  node?: string
  host: string
  port: string
  federationUrl?: string
  admin: string
  adminPasswordFile?: string
}
