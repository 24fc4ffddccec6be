import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { verifyTranscript } from '@parley/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, startNodes, type TestNode } from './support/nodes.ts'

// A stand-in build with the shape Vite writes: the page, a hashed asset, a public file.
let dist: string
let usa: TestNode
let rus: TestNode
let bare: TestNode
let close: () => Promise<void>
let closeBare: () => Promise<void>

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'parley-console-'))
  await mkdir(join(dist, 'assets'))
  await writeFile(
    join(dist, 'index.html'),
    '<!doctype html><title>Parley</title><div id="root"></div>',
  )
  await writeFile(join(dist, 'assets', 'index-Ab12Cd34.js'), 'console.log(1)')
  await writeFile(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  await writeFile(join(dist, '.source-hash'), 'not for the web\n')
  const started = await startNodes(
    [
      { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
      { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
    ],
    { consoleDir: dist },
  )
  ;[usa, rus] = started.nodes as [TestNode, TestNode]
  close = started.close
  const without = await startNodes([{ node: 'est', parties: [{ id: 'est', name: 'Estonia' }] }], {
    consoleDir: join(dist, 'missing'),
  })
  bare = without.nodes[0]!
  closeBare = without.close
})

afterAll(async () => {
  await close?.()
  await closeBare?.()
  await rm(dist, { recursive: true, force: true })
})

const get = (node: TestNode, path: string, init: RequestInit = {}) =>
  fetch(`${node.url}${path}`, init)

describe('the node serves the web console', () => {
  it('answers / and every client route with the page, revalidated on each load, under the strict CSP', async () => {
    for (const path of ['/', '/channels/c_0123/verify', '/admin/audit']) {
      const reply = await get(usa, path)
      expect(reply.status, path).toBe(200)
      expect(reply.headers.get('content-type')).toMatch(/^text\/html/)
      expect(reply.headers.get('cache-control')).toBe('no-cache')
      const csp = reply.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("script-src 'self'")
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).not.toContain('unsafe-eval')
      expect(await reply.text()).toContain('<div id="root">')
    }
  })

  it('serves hashed assets as immutable for a year, other files revalidated, dot files not at all', async () => {
    const asset = await get(usa, '/assets/index-Ab12Cd34.js')
    expect(asset.status).toBe(200)
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(await asset.text()).toBe('console.log(1)')
    const icon = await get(usa, '/favicon.svg')
    expect(icon.headers.get('cache-control')).toBe('no-cache')
    // The build stamp is not a route: the page answers in its place.
    expect(await (await get(usa, '/.source-hash')).text()).not.toContain('not for the web')
    const missing = await get(usa, '/assets/index-Gone0000.js')
    expect(missing.status).toBe(404)
    // A build made while the node runs is served at once, under its new hashed name.
    await writeFile(join(dist, 'assets', 'index-New00000.js'), 'console.log(2)')
    expect(await (await get(usa, '/assets/index-New00000.js')).text()).toBe('console.log(2)')
  })

  it('never answers the node’s own paths with the page', async () => {
    for (const path of [
      '/api/v1/no-such-route',
      '/api/nope',
      '/federation/v1/nope',
      '/healthz/x',
    ]) {
      const reply = await get(usa, path)
      expect(reply.status, path).toBe(404)
      expect(((await reply.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND')
    }
    const posted = await get(usa, '/channels', { method: 'POST' })
    expect(posted.status).toBe(404)
    expect((await get(usa, '/healthz')).status).toBe(200)
  })

  it('without a build, / is NOT_FOUND as before', async () => {
    const reply = await get(bare, '/')
    expect(reply.status).toBe(404)
    expect(((await reply.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND')
  })
})

describe('GET /api/v1/channels/:channel/transcript', () => {
  it('hands an officer the channel’s transcript, which the protocol’s verifier accepts whole', async () => {
    const opened = await usa.api<{ channel: { id: string } }>('POST', '/channels', {
      title: 'Transcript check',
      members: ['usa', 'rus'],
    })
    expect(opened.status).toBe(201)
    const channel = opened.body.channel.id
    const posted = await usa.api('POST', `/channels/${channel}/messages`, {
      text: 'for the record',
      lang: 'en',
      urgency: 'routine',
      tlp: 'green',
    })
    expect(posted.status).toBe(201)
    const reply = await usa.api<{ transcript: string; lines: number }>(
      'GET',
      `/channels/${channel}/transcript`,
    )
    expect(reply.status).toBe(200)
    const lines = reply.body.transcript.split('\n')
    expect(lines.length - 1).toBe(reply.body.lines)
    expect(JSON.parse(lines[0]!).exportedBy).toBe('usa')
    const report = await verifyTranscript(lines)
    expect(report.ok).toBe(true)
    expect(report.events).toBe(2)
    // The rus node holds the channel too (it was invited) and exports it as rus.
    const there = await eventually(async () => {
      // rus's admin puts its officer on the list once the channel arrived.
      if (!(await rus.admit(channel))) return false
      const reply = await rus.api<{ transcript: string }>('GET', `/channels/${channel}/transcript`)
      return reply.status === 200 && reply.body
    })
    expect(JSON.parse(there.transcript.split('\n')[0]!).exportedBy).toBe('rus')
    const unknown = await usa.api<{ error: { code: string } }>(
      'GET',
      '/channels/ch_00000000000000000000000000/transcript',
    )
    // An officer gets one answer for a channel that does not exist and one they cannot see.
    expect(unknown.status).toBe(403)
    expect(unknown.body.error.code).toBe('CHANNEL_FORBIDDEN')
  })
})
