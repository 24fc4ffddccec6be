import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { RunningNode } from '@parley/server'
import type { Command } from 'commander'

const HOUR = 3_600_000

/** The demo federation of SCENARIO.md: two negotiating parties and a neutral observer. */
const NODES = [
  { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
  { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
  { node: 'osce', parties: [{ id: 'osce', name: 'OSCE Secretariat' }] },
] as const

interface Demo {
  readonly name: string
  readonly node: RunningNode
  readonly token: string
}

/** `parley demo` (`npm start`): three pre-peered nodes on loopback, seeded on first run. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run three federated nodes (usa, rus, osce) on loopback with a seeded scenario')
    .option('--data-dir <dir>', 'where the three nodes keep their data', 'parley-demo')
    .option('--base-port <port>', 'first of three consecutive ports', '7101')
    .action(async (options: { dataDir: string; basePort: string }) => {
      const root = resolve(options.dataDir)
      const files = await prepare(root, Number(options.basePort))
      const server = await import('@parley/server')
      const demos: Demo[] = []
      for (const [i, file] of files.entries()) {
        // Each demo node keeps its own embedded database: DATABASE_URL is ignored here.
        const node = await server.runNode(file, { PARLEY_LOG_LEVEL: 'error' })
        // initNodeDirectory gives every node a development token; the demo drives the API with it.
        const token = server.loadConfig(file, {}).devToken ?? ''
        demos.push({ name: NODES[i]!.node, node, token })
      }
      const seeded = await seed(demos)
      process.stdout.write(instructions(demos, root, seeded))
      await new Promise<void>((done) => {
        const stop = () => {
          process.stdout.write('\nStopping the demo nodes…\n')
          Promise.all(demos.map((demo) => demo.node.close())).then(() => done(), done)
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    })
}

/** Creates the three node directories once and pins every node's keys in the others. */
async function prepare(root: string, basePort: number): Promise<string[]> {
  const server = await import('@parley/server')
  const files = NODES.map((spec) => join(root, spec.node, 'parley.json'))
  for (const [i, spec] of NODES.entries()) {
    if (existsSync(files[i]!)) continue
    await server.initNodeDirectory({
      dir: join(root, spec.node),
      node: spec.node,
      parties: spec.parties,
      port: basePort + i,
      // The seeded history predates this run, so the demo keys are valid from the epoch.
      now: 0,
    })
  }
  const configs = files.map((file) => server.loadConfig(file, {}))
  for (const [i, file] of files.entries()) {
    for (const [j, other] of configs.entries()) {
      if (i === j || configs[i]!.peers.some((peer) => peer.node === other.node)) continue
      await server.addPeerToConfigFile(file, await server.peerEntryOf(other, Date.now()))
    }
  }
  return files
}

async function call<T>(demo: Demo, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${demo.node.address}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${demo.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const json = (await response.json()) as T & { error?: { code: string; message: string } }
  if (!response.ok) throw new Error(`${method} ${path}: ${json.error?.code} ${json.error?.message}`)
  return json
}

async function waitFor<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the demo nodes did not federate within 10 s')
}

/** Seeds the working group of SCENARIO.md on the first run; later runs keep what is there. */
async function seed([usa, rus]: Demo[]): Promise<string> {
  type Channels = { channels: { id: string; title: string; status: string }[] }
  const existing = await call<Channels>(usa!, 'GET', '/channels')
  if (existing.channels.length > 0) return existing.channels[0]!.id
  const { channel } = await call<{ channel: { id: string } }>(usa!, 'POST', '/channels', {
    title: 'US–Russia ICT Security Working Group',
    members: ['usa', 'rus'],
    observers: ['osce'],
    policy: {
      languages: ['en', 'ru'],
      ackWithin: { routine: 24 * HOUR, priority: 4 * HOUR, flash: HOUR / 4 },
      respondWithin: 72 * HOUR,
      rapporteur: 'osce',
      release: {
        twoPersonRule: ['notice.open', 'notice.reply', 'draft.propose'],
        flashExempt: false,
      },
    },
  })
  await waitFor(async () => {
    const listed = await call<Channels>(rus!, 'GET', '/channels')
    return listed.channels.find((row) => row.id === channel.id)
  })
  await call(rus!, 'POST', `/channels/${channel.id}/join`, {})
  const message = (text: string, lang: string, urgency: string, tlp = 'green') => ({
    text,
    lang,
    urgency,
    tlp,
  })
  await call(
    usa!,
    'POST',
    `/channels/${channel.id}/messages`,
    message(
      'The United States delegation proposes to hold the next session of the working group on 14 March in Geneva.',
      'en',
      'routine',
    ),
  )
  type Posted = { event: { id: string } }
  const flash = await call<Posted>(
    rus!,
    'POST',
    `/channels/${channel.id}/messages`,
    message(
      'Срочно: наблюдаем сканирование инфраструктуры энергосистемы с адресов, объявленных автономной системой в США. Просим разъяснить.',
      'ru',
      'flash',
      'amber',
    ),
  )
  await waitFor(async () => {
    const { events } = await call<{ events: { id: string }[] }>(
      usa!,
      'GET',
      `/channels/${channel.id}/timeline`,
    )
    return events.find((view) => view.id === flash.event.id)
  })
  await call(usa!, 'POST', `/channels/${channel.id}/translations`, {
    of: flash.event.id,
    lang: 'en',
    text: 'Urgent: we observe scanning of power-grid infrastructure from addresses announced by an autonomous system in the United States. Please clarify.',
  })
  await call(
    usa!,
    'POST',
    `/channels/${channel.id}/messages`,
    message(
      'Received. Our CERT duty desk is examining the addresses; an interim answer follows within the hour.',
      'en',
      'priority',
      'amber',
    ),
  )
  return channel.id
}

function instructions(demos: readonly Demo[], root: string, channel: string): string {
  const lines = ['', 'Parley demo: three federated nodes on loopback', '']
  for (const demo of demos) {
    lines.push(`  ${demo.name.padEnd(5)} ${demo.node.address}   token ${demo.token}`)
  }
  const usa = demos[0]!
  lines.push(
    '',
    `Data (kept across restarts): ${root}`,
    `Working group channel: ${channel}`,
    '',
    'Try:',
    `  API docs            ${usa.node.address}/api/docs`,
    `  usa's timeline      curl -H 'authorization: Bearer ${usa.token}' ${usa.node.address}/api/v1/channels/${channel}/timeline`,
    `  post as usa         curl -H 'authorization: Bearer ${usa.token}' -H 'content-type: application/json' \\`,
    `                        -d '{"text":"Hello","lang":"en","urgency":"routine","tlp":"green"}' \\`,
    `                        ${usa.node.address}/api/v1/channels/${channel}/messages`,
    `  peers' health       curl -H 'authorization: Bearer ${usa.token}' ${usa.node.address}/api/v1/node`,
    '',
    'Press Ctrl-C to stop.',
    '',
  )
  return lines.join('\n')
}
