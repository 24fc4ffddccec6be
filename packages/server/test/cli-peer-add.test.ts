import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'
import { reservePort } from './support/ports.ts'

const main = new URL('../../cli/src/main.ts', import.meta.url).pathname

function parley(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [main, ...args])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}

// Two live nodes that do not know each other yet, as two ministries before they meet; the CLI
// runs on usa's node directory while usa runs, as an operator would.
describe('parley peer add against a live node', () => {
  let usa: TestNode
  let rus: TestNode
  let close: () => Promise<void>
  let usaConfig: string
  let rusFingerprint: string
  const peersInConfig = () =>
    (JSON.parse(readFileSync(usaConfig, 'utf8')) as { peers: { node: string }[] }).peers

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      { peers: () => false, backoff: () => 50 },
    )
    ;[usa, rus] = started.nodes as [TestNode, TestNode]
    close = started.close
    usaConfig = join(dirname(usa.config.dataDir), 'parley.json')
    const fingerprintOf = async (node: TestNode) =>
      (await node.api<{ parties: { fingerprint: string }[] }>('GET', '/node')).body.parties[0]!
        .fingerprint
    rusFingerprint = await fingerprintOf(rus)
    // rus has already pinned usa (through its API); usa has not pinned rus.
    const pinned = await rus.api('POST', '/peers', {
      url: usa.url,
      fingerprint: await fingerprintOf(usa),
    })
    expect(pinned.status).toBe(201)
  })
  afterAll(() => close())

  it('refuses a fingerprint that is not the peer’s, with exit 1 and nothing pinned', async () => {
    const before = { config: peersInConfig(), node: (await usa.api('GET', '/node')).body }
    const wrong = `${rusFingerprint.slice(0, -1)}${rusFingerprint.endsWith('0') ? '1' : '0'}`
    const run = await parley('peer', 'add', rus.url, '--fingerprint', wrong, '--config', usaConfig)
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^parley: FINGERPRINT_MISMATCH: /)
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(run.stdout).toBe('')
    // Whatever ran before (in any order), this changed nothing.
    expect(peersInConfig()).toEqual(before.config)
    expect((await usa.api('GET', '/node')).body).toEqual(before.node)
  })

  it('refuses a URL where nothing answers, with exit 1 and nothing pinned', async () => {
    const before = peersInConfig()
    const nowhere = `http://127.0.0.1:${await reservePort()}`
    const run = await parley(
      'peer',
      'add',
      nowhere,
      '--fingerprint',
      rusFingerprint,
      '--config',
      usaConfig,
    )
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(
      /^parley: PEER_UNREACHABLE: Peer http:\/\/127\.0\.0\.1:\d+.* did not answer/,
    )
    expect(peersInConfig()).toEqual(before)
  })

  it('pins the peer in the config and the running node, which then delivers the channels made before', async () => {
    // A channel with rus, made while usa could not deliver to it.
    const created = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'Before the pin',
      members: ['usa', 'rus'],
    })
    expect(created.status).toBe(201)
    const channel = created.body.channel.id
    // rus's admin can put its officer on the channel's list only once the channel is there.
    expect(await rus.admit(channel)).toBe(false)

    const run = await parley(
      'peer',
      'add',
      rus.url,
      '--fingerprint',
      rusFingerprint,
      '--config',
      usaConfig,
      // An admin's API token of usa: the CLI tells the running node with it.
      '--token',
      usa.officers.get('usa')!.token,
    )
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`Pinned rus (Russian Federation) of node rus at ${rus.url}`)
    expect(run.stdout).toContain(`fingerprint ${rusFingerprint}`)
    expect(run.stdout).toContain('The running node pinned it too.')
    expect(peersInConfig()).toEqual([expect.objectContaining({ node: 'rus', url: rus.url })])
    const peers = await usa.api<{ peers: { url: string; boundAt: number | null }[] }>(
      'GET',
      '/node',
    )
    expect(peers.body.peers).toEqual([
      expect.objectContaining({ url: rus.url, boundAt: expect.any(Number) }),
    ])

    // The backfill: the channel made before the pin reaches rus, with nothing posted since.
    await eventually(() => rus.admit(channel))
  })
})
