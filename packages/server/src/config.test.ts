import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { addPeerToConfigFile, loadConfig, parseConfig } from './config.ts'
import { isServerError } from './errors.ts'
import { initNodeDirectory } from './node-identity.ts'

const base = {
  node: 'usa',
  listen: { host: '127.0.0.1', port: 7100 },
  federationUrl: 'http://127.0.0.1:7100',
  dataDir: 'db',
  parties: [
    {
      id: 'usa',
      name: 'United States',
      keys: [{ id: 'usa#1', file: 'keys/usa-1.private.pem', validFrom: 0, validUntil: null }],
    },
  ],
  peers: [],
}

const codeOf = (action: () => unknown) => {
  try {
    action()
  } catch (error) {
    return isServerError(error) ? `${error.code}: ${error.message}` : String(error)
  }
  return 'no error'
}

describe('parseConfig', () => {
  it('refuses a release section that would switch the guard off or name no event type', () => {
    expect(codeOf(() => parseConfig({ ...base, release: { forbiddenMarkings: [] } }, '/'))).toMatch(
      /^CONFIG_INVALID: .*\/release\/forbiddenMarkings/,
    )
    expect(
      codeOf(() =>
        parseConfig({ ...base, release: { twoPersonRule: ['notice.*', 'memo.*'] } }, '/'),
      ),
    ).toMatch(/^CONFIG_INVALID: .*memo\.\* names no event type/)
    expect(
      parseConfig({ ...base, release: { twoPersonRule: ['forward'], flashExempt: true } }, '/')
        .release,
    ).toEqual({ twoPersonRule: ['forward'], flashExempt: true })
  })

  it('resolves relative paths against the config file’s directory', () => {
    const config = parseConfig(base, '/srv/parley')
    expect(config.dataDir).toBe('/srv/parley/db')
    expect(config.parties[0]!.keys[0]!.file).toBe('/srv/parley/keys/usa-1.private.pem')
  })

  it('refuses a devToken, naming it and what replaces it', () => {
    expect(codeOf(() => parseConfig({ ...base, devToken: 'a-development-token' }, '/'))).toBe(
      'CONFIG_INVALID: The node config is invalid: /devToken is no longer supported: remove it, and issue an API token bound to an officer with parley officer token create',
    )
  })

  it('lets the environment override the port and the database', () => {
    const config = parseConfig(base, '/srv', {
      PARLEY_PORT: '8100',
      DATABASE_URL: 'postgres://db/parley',
    })
    expect(config.listen.port).toBe(8100)
    expect(config.databaseUrl).toBe('postgres://db/parley')
    expect(codeOf(() => parseConfig(base, '/srv', { PARLEY_PORT: 'eighty' }))).toMatch(
      /^CONFIG_INVALID/,
    )
  })

  it('names the first bad field, and refuses unknown fields and a party hosted twice', () => {
    expect(codeOf(() => parseConfig({ ...base, listen: { host: 'x', port: -1 } }, '/'))).toMatch(
      /^CONFIG_INVALID: .*\/listen\/port/,
    )
    expect(codeOf(() => parseConfig({ ...base, colour: 'blue' }, '/'))).toMatch(/^CONFIG_INVALID/)
    const twice = { ...base, parties: [...base.parties, ...base.parties] }
    expect(codeOf(() => parseConfig(twice, '/'))).toBe(
      'CONFIG_INVALID: The node config is invalid: a party is hosted twice',
    )
  })

  it('takes the argon2id cost of new password hashes, within argon2’s limits', () => {
    const cheap = { memoryCost: 8, timeCost: 1, parallelism: 1 }
    expect(parseConfig({ ...base, auth: { passwordHash: cheap } }, '/').auth?.passwordHash).toEqual(
      cheap,
    )
    const refused = [
      { memoryCost: 8, parallelism: 2 },
      { timeCost: 0 },
      { memoryCost: 4 },
      { salt: 1 },
    ]
    for (const passwordHash of refused) {
      expect(codeOf(() => parseConfig({ ...base, auth: { passwordHash } }, '/'))).toMatch(
        /^CONFIG_INVALID: .*\/auth\/passwordHash/,
      )
    }
  })

  it('reports a missing file as CONFIG_NOT_FOUND', () => {
    expect(codeOf(() => loadConfig('/nonexistent/parley.json', {}))).toMatch(/^CONFIG_NOT_FOUND/)
  })
})

describe('addPeerToConfigFile', () => {
  let dir: string
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('records a pinned peer, replaces its earlier pins and keeps the rest of the file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-config-'))
    const { configFile } = await initNodeDirectory({
      dir,
      parties: [{ id: 'usa', name: 'United States' }],
    })
    const key = { id: 'rus#1', publicKey: 'A'.repeat(43), validFrom: 0, validUntil: null }
    const peer = {
      url: 'http://127.0.0.1:7102',
      node: 'rus',
      parties: [{ id: 'rus', name: 'Russian Federation', fingerprint: 'ab', keys: [key] }],
    }
    await addPeerToConfigFile(configFile, peer)
    await addPeerToConfigFile(configFile, {
      ...peer,
      parties: [{ ...peer.parties[0]!, fingerprint: 'cd' }],
    })
    const raw = JSON.parse(await readFile(configFile, 'utf8'))
    expect(raw.peers).toEqual([{ ...peer, parties: [{ ...peer.parties[0], fingerprint: 'cd' }] }])
    expect(raw.parties[0].keys[0].file).toBe('keys/usa-1.private.pem')
  })
})
