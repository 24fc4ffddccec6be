import { existsSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ParleyApp } from '@parley/server'
import type { Command } from 'commander'
import { type MailSink, startMailSink } from '../demo/mail-sink.ts'
import type { SeedRecord } from '../demo/seed.ts'
import { DAY, HOUR, OFFICERS, type OfficerName, RELEASE_FLOOR, STORY_NODES } from '../demo/story.ts'
import { StoryClock } from '../demo/story-clock.ts'
import { CliError } from '../errors.ts'

/** What the first run seeded; its presence means "seeded, do not seed again". */
const RECORD = 'demo.json'

interface RunningDemoNode {
  readonly name: (typeof STORY_NODES)[number]['node']
  readonly app: ParleyApp
  readonly url: string
}

/**
 * `parley demo` (`npm start`): the federation of SCENARIO.md on loopback, four nodes in one
 * process (usa, rus, osce, and est with jpn on one node), seeded on the first run with a day in
 * the life of the working group; later runs start on the same data.
 */
export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'run four federated nodes (usa, rus, osce, and the allies est and jpn) on loopback, seeded with SCENARIO.md’s day in the life',
    )
    .option('--data-dir <dir>', 'where the nodes keep their data (kept across runs)', 'parley-demo')
    .option('--base-port <port>', 'first of four consecutive ports (first run only)', '7101')
    .action(runDemo)
}

async function runDemo(options: { dataDir: string; basePort: string }): Promise<void> {
  const basePort = Number(options.basePort)
  if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65535 - STORY_NODES.length) {
    throw new CliError('USAGE', { reason: `--base-port ${options.basePort} is not a port number` })
  }
  const root = resolve(options.dataDir)
  const record = await readRecord(root)
  const files = await prepare(root, basePort, record === undefined)
  const server = await import('@parley/server')
  // On the first run the nodes live through the story's day (yesterday, UTC) while the seed
  // plays it; then, and on every later run, they keep real time. Never backwards: the story
  // day ends hours before now.
  const storyDay = Math.floor(Date.now() / DAY) * DAY - DAY
  const clock = new StoryClock(storyDay + HOUR)
  const time = { now: record === undefined ? clock.now : Date.now }
  const nodes: RunningDemoNode[] = []
  // Escalation e-mail of every node goes to a sink in this process, kept in the data dir.
  const mail = await startMailSink(join(root, 'mail'))
  const stop = () =>
    Promise.allSettled(nodes.map((node) => node.app.close())).finally(() => mail.close())
  let stopped: Promise<void>
  try {
    for (const [i, file] of files.entries()) {
      // Each demo node keeps its own embedded database: DATABASE_URL is ignored here.
      const loaded = server.loadConfig(file, {})
      const config = {
        ...loaded,
        smtp: { host: mail.host, port: mail.port, from: `parley@${loaded.node}.demo.example` },
      }
      const app = await server.build(config, {
        now: () => time.now(),
        logger: { level: 'error', name: config.node },
      })
      const url = await app
        .listen({ host: config.listen.host, port: config.listen.port })
        .catch(async (error: unknown) => {
          await app.close()
          throw error
        })
      nodes.push({ name: STORY_NODES[i]!.node, app, url })
    }
    const seeded = record ?? (await seed(root, nodes, clock, storyDay))
    time.now = Date.now
    // Ctrl-C is handled before the demo says it may be pressed.
    stopped = stopOnSignals(stop)
    process.stdout.write(instructions(nodes, root, seeded, record === undefined, mail))
  } catch (error) {
    await stop()
    throw error
  }
  await stopped
}

/** Stops the demo on the first Ctrl-C or SIGTERM; a second one while it stops leaves at once. */
function stopOnSignals(stop: () => Promise<unknown>): Promise<void> {
  return new Promise<void>((done) => {
    let stopping = false
    const onSignal = () => {
      if (stopping) process.exit(130)
      stopping = true
      process.stdout.write('\nStopping the demo nodes…\n')
      stop().then(() => done())
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

async function seed(
  root: string,
  nodes: readonly RunningDemoNode[],
  clock: StoryClock,
  storyDay: number,
): Promise<SeedRecord> {
  process.stdout.write('First run: seeding the story of a day in the life…\n')
  const { seedStory } = await import('../demo/seed.ts')
  const byName = {} as Record<RunningDemoNode['name'], RunningDemoNode>
  for (const node of nodes) byName[node.name] = node
  const seeded = await seedStory(byName, clock, storyDay)
  if (seeded.agreement !== undefined) {
    await exportAgreement(
      root,
      byName.usa,
      seeded.automation.token,
      seeded.channels.workingGroup,
      seeded.agreement,
    )
  }
  // Written last and atomically: a run interrupted before this point is recognisable.
  const file = join(root, RECORD)
  await writeFile(`${file}.tmp`, `${JSON.stringify(seeded, null, 2)}\n`, { mode: 0o600 })
  await rename(`${file}.tmp`, file)
  return seeded
}

/**
 * The day ends with the adopted joint statement: written as the node exports it
 * (agreement.json, which `parley verify` checks), as its self-verifying page (agreement.html)
 * and as Akoma Ntoso (agreement.xml), in the demo directory.
 */
async function exportAgreement(
  root: string,
  usa: RunningDemoNode,
  /** usa's automation officer's token: that officer is on the working group's list. */
  token: string,
  channel: string,
  draft: string,
): Promise<void> {
  const { canonicalJson } = await import('@parley/protocol')
  const { renderAgreement } = await import('./agreement.ts')
  const response = await fetch(`${usa.url}/api/v1/channels/${channel}/drafts/${draft}/agreement`, {
    headers: { authorization: `Bearer ${token}` },
  })
  if (response.status !== 200) {
    throw new Error(
      `the seeded agreement did not export: ${response.status} ${await response.text()}`,
    )
  }
  const json = join(root, 'agreement.json')
  await writeFile(json, `${canonicalJson(await response.json())}\n`)
  await renderAgreement(json, {
    html: join(root, 'agreement.html'),
    xml: join(root, 'agreement.xml'),
  })
}

async function readRecord(root: string): Promise<SeedRecord | undefined> {
  const file = join(root, RECORD)
  if (!existsSync(file)) return undefined
  return JSON.parse(await readFile(file, 'utf8')) as SeedRecord
}

/**
 * Creates the node directories on the first run (keys valid from the epoch, since the seeded
 * story predates the run; no second factor required, it is a demo) and pins every node's keys
 * in every other, as `parley peer add` would after checking fingerprints.
 */
async function prepare(root: string, basePort: number, fresh: boolean): Promise<string[]> {
  const server = await import('@parley/server')
  const files = STORY_NODES.map((spec) => join(root, spec.node, 'parley.json'))
  if (fresh && files.some((file) => existsSync(file))) {
    throw new CliError('USAGE', {
      reason: `${root} holds nodes but no ${RECORD}: an older demo or an interrupted first run; remove the directory or give another --data-dir`,
    })
  }
  if (!fresh && !files.every((file) => existsSync(file))) {
    throw new CliError('USAGE', { reason: `${root} is incomplete: a node directory is missing` })
  }
  if (!fresh) return files
  for (const [i, spec] of STORY_NODES.entries()) {
    const { configFile } = await server.initNodeDirectory({
      dir: join(root, spec.node),
      node: spec.node,
      parties: spec.parties,
      port: basePort + i,
      now: 0,
    })
    const config = JSON.parse(await readFile(configFile, 'utf8'))
    // A demo on loopback: passwords alone, and sessions that last a working shift.
    const relaxed = { ...config, auth: { requireSecondFactor: false, idleTimeoutMinutes: 8 * 60 } }
    await writeFile(configFile, `${JSON.stringify(relaxed, null, 2)}\n`, { mode: 0o600 })
  }
  const configs = files.map((file) => server.loadConfig(file, {}))
  await createDatabases(server, configs)
  for (const [i, file] of files.entries()) {
    for (const [j, other] of configs.entries()) {
      if (i !== j) await server.addPeerToConfigFile(file, await server.peerEntryOf(other, 0))
    }
  }
  return files
}

/**
 * Creates the nodes' embedded databases: the first from scratch, the others as copies of it.
 * An empty PostgreSQL cluster takes seconds to initialise; a copy of a migrated one loads in
 * a fraction of that, which keeps the first start of the demo quick.
 */
async function createDatabases(
  server: typeof import('@parley/server'),
  configs: readonly { readonly dataDir: string }[],
): Promise<void> {
  let template: Blob | undefined
  for (const { dataDir } of configs) {
    const database = await server.openDatabase(
      template === undefined ? { dataDir } : { dataDir, loadDataDir: template },
    )
    try {
      if (template === undefined) {
        await server.migrateToLatest(database.db)
        template = await database.dump!()
      }
    } finally {
      await database.close()
    }
  }
}

function instructions(
  nodes: readonly RunningDemoNode[],
  root: string,
  seeded: SeedRecord,
  firstRun: boolean,
  mail: MailSink,
): string {
  const at = (name: string) => nodes.find((node) => node.name === name)!
  const usa = at('usa')
  const { workingGroup, allies } = seeded.channels
  const day = new Date(seeded.storyDay).toISOString().slice(0, 10)
  const password = (name: OfficerName) => seeded.passwords[name]
  const login = (name: OfficerName) => {
    const officer = OFFICERS[name]
    const url = at(officer.node).url
    return [
      `    CSRF=$(curl -s -c ${name}.jar -H 'content-type: application/json' \\`,
      `      -d '{"username":"${officer.username}","password":"${password(name)}"}' \\`,
      `      ${url}/api/v1/auth/login | sed -E 's/.*"csrfToken":"([^"]*)".*/\\1/')`,
    ]
  }
  const parley = existsSync(join(process.cwd(), 'node_modules', '.bin', 'parley'))
    ? 'npx parley'
    : 'parley'
  const lines = [
    '',
    'Parley demo: the US–Russia ICT Security Working Group of SCENARIO.md, on four federated',
    'nodes on loopback.',
    '',
    'Nodes',
    ...nodes.map((node) => {
      const spec = STORY_NODES.find((s) => s.node === node.name)!
      const parties = spec.parties.map((party) => `${party.id} (${party.name})`).join(', ')
      return `  ${node.name.padEnd(7)} ${node.url.padEnd(24)} ${parties}`
    }),
    '',
    `Officers and their initial passwords (kept in ${join(root, RECORD)}; the demo asks for no second factor)`,
    ...(Object.keys(OFFICERS) as OfficerName[]).map((name) => {
      const officer = OFFICERS[name]
      return `  ${officer.node.padEnd(7)} ${officer.username.padEnd(7)} ${password(name)}  ${officer.displayName}, ${officer.duty}`
    }),
    '',
    'Channels',
    `  ${workingGroup}  US–Russia ICT Security Working Group (usa, rus; osce observes)`,
    `  ${allies}  US–Allies consultation (usa, est, jpn)`,
    '',
    `${firstRun ? 'Seeded' : 'Seeded on the first run'}: the story of ${day} (UTC). At 02:14 Alice’s clarification`,
    `notice, released by Ben; rus acknowledged it ${seeded.ackMinutes} min after its node's signed receipt;`,
    'an interim reply in Russian with Alice’s English translation, then the final reply; rus’s',
    'red line and draft text, usa’s alternative and osce’s compromise, accepted and adopted by',
    'both; and usa’s forward of the agreement and the acknowledgment to est and jpn.',
    ...(seeded.ping === undefined
      ? []
      : [
          `At 10:00, the Monday ping test: usa pinged rus, and Irina answered in ${seeded.ping.answerMinutes} min.`,
        ]),
    ...(seeded.flashNotice === undefined
      ? []
      : [
          'At 08:05 a flash notice from usa that nobody at rus acknowledges: rus’s escalation',
          'ladder raised a console alarm and mailed Irina (on duty), again after 10 min, then the',
          'duty director at the 15-minute deadline; the mail sink below caught the three e-mails.',
        ]),
    '',
    `Mail sink   smtp://${mail.host}:${mail.port}   every node sends its escalation e-mail here`,
    `  Each message is kept as ${join(mail.dir, 'NNNN.eml')}:`,
    `    ls ${mail.dir} && cat ${join(mail.dir, '0001.eml')}`,
    ...(seeded.flashNotice === undefined
      ? []
      : [
          '  What rus’s ladder did, step by step, with each SMTP answer: log in as irina at',
          `    ${at('rus').url}, then GET .../api/v1/notices/${seeded.flashNotice}/escalation`,
        ]),
    '',
    `The web console: open ${usa.url}/ and sign in as alice (password ${password('alice')}).`,
    `  Every demo node serves it: ${nodes.map((node) => `${node.url}/`).join('  ')}`,
    '',
    'Try it',
    `  API documentation   ${usa.url}/api/docs`,
    '  Log in as Alice (the cookie goes to alice.jar, the CSRF token to $CSRF):',
    ...login('alice'),
    '  Read the working group’s timeline (each event with its delivery and receipt times):',
    `    curl -s -b alice.jar ${usa.url}/api/v1/channels/${workingGroup}/timeline`,
    '  The notice with its history and deadlines (acknowledge-by from rus’s signed receipt, met or not):',
    `    curl -s -b alice.jar ${usa.url}/api/v1/notices/${seeded.notice}`,
    '  Each party’s answers to ping tests (response rate, median and 90th percentile, last answered):',
    `    curl -s -b alice.jar ${usa.url}/api/v1/pings/stats`,
    '  Ping the working group every Monday at 10:00 UTC (POST, as Alice):',
    `    curl -s -b alice.jar -H "x-csrf-token: $CSRF" -H 'content-type: application/json' \\`,
    `      -d '{"weekday":1,"hour":10}' ${usa.url}/api/v1/channels/${workingGroup}/ping-schedules`,
    '  Post a message; it reaches rus and osce in milliseconds:',
    `    curl -s -b alice.jar -H "x-csrf-token: $CSRF" -H 'content-type: application/json' \\`,
    `      -d '{"text":"Hello from Alice","lang":"en","urgency":"routine","tlp":"green"}' \\`,
    `      ${usa.url}/api/v1/channels/${workingGroup}/messages`,
    '  Paste a classification banner into a reply: the release guard answers 422 with where it is:',
    `    curl -s -b alice.jar -H "x-csrf-token: $CSRF" -H 'content-type: application/json' \\`,
    `      -d '{"type":"notice.reply","body":{"notice":"${seeded.notice}","lang":"en","tlp":"green","text":"Per SECRET//NOFORN reporting, ..."}}' \\`,
    `      ${usa.url}/api/v1/channels/${workingGroup}/compose`,
    `  Ben’s release queue: log in as ben (password above), then GET ${usa.url}/api/v1/releases`,
    '  The release floor: every node holds these for a second officer, whatever a channel says:',
    `    ${RELEASE_FLOOR.join(', ')}`,
    '    (release.twoPersonRule in parley.json); a channel policy may add types, never leave one',
    '    out (422 RELEASE_POLICY_BELOW_FLOOR).',
    `  Dan is outside the working group’s compartment: the same timeline answers him 403.`,
    `  What est received: log in as kadri at ${at('allies').url}, then GET .../channels/${allies}/timeline`,
    '  Peers’ health as usa sees it:',
    `    curl -s -b alice.jar ${usa.url}/api/v1/node`,
    `  Automation: usa's officer ${seeded.automation.username} (drafter and viewer, in the working group's compartment only)`,
    `  holds an API token Carla issued, scoped to those roles, until ${new Date(seeded.automation.expiresAt).toISOString().slice(0, 10)}:`,
    `    TOKEN=${seeded.automation.token}`,
    `    curl -s -H "authorization: Bearer $TOKEN" ${usa.url}/api/v1/channels/${workingGroup}/timeline`,
    '  It acts as that officer and no more: the audit log and approving a release answer it 403,',
    '  and a notice it composes waits for a releaser. Tokens go in the Authorization header only;',
    '  for the live stream, take a ticket first:',
    `    curl -s -X POST -H "authorization: Bearer $TOKEN" ${usa.url}/api/v1/stream/tickets`,
    `  Manage tokens with ${parley} officer token create|list|revoke (node stopped), or the API.`,
    '',
    'Afterwards: stop the demo (each embedded database admits one process), then export the',
    'working group’s transcript from usa’s ledger and verify it offline, as an auditor would:',
    `  ${parley} export ${workingGroup} --data-dir ${join(root, 'usa')} --out working-group.parley`,
    `  ${parley} verify working-group.parley`,
    'The day ends with the adopted joint statement, signed by both members; open its page in a',
    'browser (offline is fine: it checks every signature itself) or verify it here:',
    `  ${join(root, 'agreement.html')}`,
    `  ${parley} verify ${join(root, 'agreement.json')}`,
    `  ${parley} verify ${join(root, 'agreement.html')}`,
    '',
    `Data is kept in ${root}; the next run starts on it without seeding again.`,
    'Press Ctrl-C to stop.',
    '',
  ]
  return lines.join('\n')
}
