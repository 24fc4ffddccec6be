import { join, resolve } from 'node:path'
import type { Command } from 'commander'

interface PeerOptions {
  fingerprint: string
  party?: string
  dataDir: string
  config?: string
}

/** `parley peer add`: pins a peer party's keys after checking its fingerprint. */
export function register(program: Command): void {
  const peer = program.command('peer').description('manage the peers this node trusts')
  peer
    .command('add <url>')
    .description('fetch a peer’s descriptor, check its fingerprint and pin its keys')
    .requiredOption('--fingerprint <fp>', 'the party’s fingerprint, received out of band')
    .option('--party <id>', 'the party to pin (default: the one with this fingerprint)')
    .option('--data-dir <dir>', 'the node directory', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .action(async (url: string, options: PeerOptions) => {
      const server = await import('@parley/server')
      const file = resolve(options.config ?? join(options.dataDir, 'parley.json'))
      const config = server.loadConfig(file, {})
      const base = server.peerUrl(url)
      const now = Date.now()
      const pin = await server.peerKeysToPin(
        await server.fetchDescriptor(base),
        options.fingerprint,
        {
          now,
          ...(options.party === undefined ? {} : { party: options.party }),
        },
      )
      await server.addPeerToConfigFile(file, {
        url: base,
        node: pin.node,
        parties: [
          { id: pin.party, name: pin.name, fingerprint: pin.fingerprint, keys: [...pin.keys] },
        ],
      })
      const lines = [`Pinned ${pin.party} (${pin.name}) of node ${pin.node} at ${base}`]
      lines.push(`  fingerprint ${pin.fingerprint}`)
      lines.push(`  keys        ${pin.keys.map((key) => key.id).join(', ')}`)
      lines.push(await tellRunningNode(config, base, options.fingerprint, pin.party))
      process.stdout.write(`${lines.join('\n')}\n`)
    })

  peer
    .command('list')
    .description('list pinned peers')
    .option('--data-dir <dir>', 'the node directory', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .action(async (options: { dataDir: string; config?: string }) => {
      const { loadConfig } = await import('@parley/server')
      const config = loadConfig(resolve(options.config ?? join(options.dataDir, 'parley.json')), {})
      for (const entry of config.peers) {
        for (const party of entry.parties) {
          process.stdout.write(`${party.id}\t${entry.url}\t${party.fingerprint}\n`)
        }
      }
    })
}

/** A running node pins at once through its API; otherwise the pin applies at next start. */
async function tellRunningNode(
  config: { listen: { host: string; port: number }; devToken?: string | undefined },
  url: string,
  fingerprint: string,
  party: string,
): Promise<string> {
  const api = `http://${config.listen.host}:${config.listen.port}/api/v1/peers`
  if (config.devToken === undefined) return 'Restart the node to apply the pin.'
  try {
    const response = await fetch(api, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.devToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url, fingerprint, party }),
      signal: AbortSignal.timeout(5000),
    })
    if (response.ok) return 'The running node pinned it too.'
    return `The running node refused it (${response.status}); it applies at the next start.`
  } catch {
    return 'The node is not running; the pin applies at its next start.'
  }
}
