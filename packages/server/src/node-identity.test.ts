import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { partyFingerprint } from '@parley/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'
import { isServerError } from './errors.ts'
import {
  type HostedParty,
  initNodeDirectory,
  loadNodeIdentity,
  signingKey,
} from './node-identity.ts'

describe('a node directory', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-identity-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('holds a config and one owner-only key per party, whose fingerprints it reports', async () => {
    const made = await initNodeDirectory({
      dir,
      parties: [
        { id: 'osce', name: 'OSCE Secretariat' },
        { id: 'est', name: 'Estonia' },
      ],
      port: 7300,
    })
    expect(made.config.node).toBe('osce')
    const config = loadConfig(made.configFile, {})
    for (const party of config.parties) {
      expect((await stat(party.keys[0]!.file)).mode & 0o777).toBe(0o600)
    }
    expect((await stat(made.configFile)).mode & 0o777).toBe(0o600)

    const identity = await loadNodeIdentity(config)
    for (const [id, party] of identity.parties) {
      expect(await partyFingerprint(party.keys, Date.now())).toBe(made.fingerprints[id])
    }
  })

  it('writes no bearer credential: automation uses API tokens bound to an officer', async () => {
    const plain = await initNodeDirectory({ dir, parties: [{ id: 'usa', name: 'United States' }] })
    const written = JSON.parse(await readFile(plain.configFile, 'utf8'))
    expect(Object.keys(written).sort()).toEqual([
      'dataDir',
      'federationUrl',
      'listen',
      'node',
      'parties',
      'peers',
    ])
  })

  it('never overwrites an existing node', async () => {
    await initNodeDirectory({ dir, parties: [{ id: 'usa', name: 'United States' }] })
    const again = initNodeDirectory({ dir, parties: [{ id: 'usa', name: 'United States' }] })
    await expect(again).rejects.toSatisfy((error) => isServerError(error, 'CONFIG_INVALID'))
  })
})

describe('signingKey', () => {
  const key = (n: number, validFrom: number, validUntil: number | null) => ({
    id: `usa#${n}`,
    publicKey: '',
    privateKey: {} as CryptoKey,
    validFrom,
    validUntil,
  })
  const party: HostedParty = {
    id: 'usa',
    name: 'United States',
    keys: [key(1, 0, 2000), key(2, 1000, null), key(3, 5000, null)],
  }

  it('signs with the highest-numbered key valid at the time', () => {
    expect(signingKey(party, 500).id).toBe('usa#1')
    expect(signingKey(party, 1500).id).toBe('usa#2')
    expect(signingKey(party, 2000).id).toBe('usa#2')
    expect(signingKey(party, 6000).id).toBe('usa#3')
  })

  it('refuses to sign when no key is valid', () => {
    const retired: HostedParty = { ...party, keys: [key(1, 0, 10)] }
    expect(() => signingKey(retired, 10)).toThrow(/no key of usa is valid/)
  })
})
