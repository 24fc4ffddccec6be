import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { type NodeLocation, withNode } from '../node-database.ts'

interface PeerOptions {
  fingerprint: string
  party?: string
  dataDir: string
  config?: string
  token?: string
}

interface Located {
  dataDir: string
  config?: string
  token?: string
}

type ListenConfig = { listen: { host: string; port: number } }

/**
 * The API token (an admin's, `parley officer token create … --scope admin`) the CLI tells a
 * running node with: `--token`, else `PARLEY_TOKEN`. Without one the CLI works on the config
 * and the database alone.
 */
function tokenOf(options: { token?: string }): string | undefined {
  const token = options.token ?? process.env.PARLEY_TOKEN
  return token === undefined || token === '' ? undefined : token
}

const TOKEN_OPTION = [
  '--token <token>',
  'an admin’s API token, to tell the running node at once (default: $PARLEY_TOKEN)',
] as const

/** `parley peer add`: pins a peer party's keys after checking its fingerprint and its URL. */
export function register(program: Command): void {
  const peer = program.command('peer').description('manage the peers this node trusts')
  peer
    .command('add <url>')
    .description(
      'fetch a peer’s descriptor, check its fingerprint, bind its URL by hello and pin its keys',
    )
    .requiredOption('--fingerprint <fp>', 'the party’s fingerprint, received out of band')
    .option('--party <id>', 'the party to pin (default: the one with this fingerprint)')
    .option('--data-dir <dir>', 'the node directory', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .option(...TOKEN_OPTION)
    .action(async (url: string, options: PeerOptions) => {
      const server = await import('@parley/server')
      const file = resolve(options.config ?? join(options.dataDir, 'parley.json'))
      const config = server.loadConfig(file, {})
      // The same checks as the node's own peer add, hello included: a URL that cannot prove
      // it holds the party's key is never written into the config.
      const pin = await server.checkPeer(
        { now: Date.now, identity: await server.loadNodeIdentity(config) },
        {
          url,
          fingerprint: options.fingerprint,
          ...(options.party === undefined ? {} : { party: options.party }),
        },
      )
      await server.addPeerToConfigFile(file, {
        url: pin.url,
        node: pin.node,
        parties: [
          { id: pin.party, name: pin.name, fingerprint: pin.fingerprint, keys: [...pin.keys] },
        ],
      })
      const lines = [`Pinned ${pin.party} (${pin.name}) of node ${pin.node} at ${pin.url}`]
      lines.push(`  fingerprint ${pin.fingerprint}`)
      lines.push(`  keys        ${pin.keys.map((key) => key.id).join(', ')}`)
      lines.push(
        `  bound       ${new Date().toISOString()} (the URL answered hello as ${pin.party})`,
      )
      lines.push(
        await tellRunningNode(config, tokenOf(options), pin.url, options.fingerprint, pin.party),
      )
      process.stdout.write(`${lines.join('\n')}\n`)
    })

  peer
    .command('remove <party>')
    .description('stop routing a peer party: nothing more is sent to it (its keys stay pinned)')
    .option('--data-dir <dir>', 'the node directory', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .option(...TOKEN_OPTION)
    .action(async (party: string, options: Located) => {
      const server = await import('@parley/server')
      const file = resolve(options.config ?? join(options.dataDir, 'parley.json'))
      const config = server.loadConfig(file, {})
      // The node first (the API when it runs, else its database), then the config, so a
      // refusal leaves both as they were; a peer left in the config would return at a start.
      const api = await callRunningNode(
        config,
        tokenOf(options),
        'DELETE',
        `/peers/${encodeURIComponent(party)}`,
      )
      let routed: string
      if (api !== undefined) {
        if (!api.ok && api.status !== 404) {
          process.stderr.write(`The running node refused it (${api.status}); nothing changed.\n`)
          process.exitCode = 1
          return
        }
        routed = `The running node routes nothing to ${party}.`
      } else {
        const location = {
          dataDir: options.dataDir,
          ...(options.config === undefined ? {} : { config: options.config }),
        }
        routed = await withNode(location, ({ ctx }) =>
          server.removePeer({ db: ctx.db, now: ctx.now }, party, {
            officer: null,
            party: null,
            via: 'cli',
          }),
        ).then(
          (done) => `Stopped routing ${party} (it was at ${done.url}).`,
          (error: unknown) => {
            if (server.isServerError(error, 'NOT_FOUND')) return `${party} was not routed.`
            throw error
          },
        )
      }
      const inConfig = await server.removePeerFromConfigFile(file, party)
      process.stdout.write(`${inConfig ? `Removed ${party} from ${file}.\n` : ''}${routed}\n`)
    })

  peer
    .command('list')
    .description('list pinned peers, with when each URL last proved it holds their keys')
    .option('--data-dir <dir>', 'the node directory', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .option(...TOKEN_OPTION)
    .action(async (options: Located) => {
      const { loadConfig } = await import('@parley/server')
      const config = loadConfig(resolve(options.config ?? join(options.dataDir, 'parley.json')), {})
      const bound = await boundTimes(config, tokenOf(options), {
        dataDir: options.dataDir,
        ...(options.config === undefined ? {} : { config: options.config }),
      })
      for (const entry of config.peers) {
        for (const party of entry.parties) {
          const at = bound.get(entry.url.replace(/\/+$/, ''))
          const when =
            at === undefined || at === null
              ? 'not bound yet'
              : `bound ${new Date(at).toISOString()}`
          process.stdout.write(`${party.id}\t${entry.url}\t${party.fingerprint}\t${when}\n`)
        }
      }
    })
}

/**
 * When each peer URL was last bound: asked of the running node when it answers, else read
 * from its database (which embedded PGlite admits only while the node is stopped).
 */
async function boundTimes(
  config: ListenConfig,
  token: string | undefined,
  location: NodeLocation,
): Promise<Map<string, number | null>> {
  const response = await callRunningNode(config, token, 'GET', '/node')
  if (response?.ok === true) {
    const body = (await response.json()) as { peers: { url: string; boundAt: number | null }[] }
    return new Map(body.peers.map((peer) => [peer.url, peer.boundAt]))
  }
  const { listPeerNodes } = await import('@parley/server')
  const peers = await withNode(location, ({ ctx }) => listPeerNodes(ctx.db))
  return new Map(peers.map((peer) => [peer.url, peer.boundAt]))
}

/** A running node pins at once through its API; otherwise the pin applies at next start. */
async function tellRunningNode(
  config: ListenConfig,
  token: string | undefined,
  url: string,
  fingerprint: string,
  party: string,
): Promise<string> {
  if (token === undefined) {
    return 'Restart the node to apply the pin (or give an admin’s API token with --token to apply it now).'
  }
  const response = await callRunningNode(config, token, 'POST', '/peers', {
    url,
    fingerprint,
    party,
  })
  if (response === undefined) return 'The node is not running; the pin applies at its next start.'
  if (response.ok) return 'The running node pinned it too.'
  return `The running node refused it (${response.status}); it applies at the next start.`
}

/** Calls the running node's officer API with an API token; undefined when none answers. */
async function callRunningNode(
  config: ListenConfig,
  token: string | undefined,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<Response | undefined> {
  if (token === undefined) return undefined
  try {
    return await fetch(`http://${config.listen.host}:${config.listen.port}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    })
  } catch {
    return undefined
  }
}
