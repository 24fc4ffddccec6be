import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import {
  exportPrivateKey,
  fingerprint,
  generateKeyPair,
  importPrivateKey,
  partyFingerprint,
  publicKeyOf,
} from '@parley/protocol'
import { type HostedPartyConfig, type NodeConfig, type PeerConfig, parseConfig } from './config.ts'
import { ServerError } from './errors.ts'

/** One key of a hosted party, with its private half loaded from disk. */
export interface HostedKey {
  readonly id: string
  readonly publicKey: string
  readonly privateKey: CryptoKey
  readonly validFrom: number
  readonly validUntil: number | null
}

/** A party this node speaks for. */
export interface HostedParty {
  readonly id: string
  readonly name: string
  readonly keys: readonly HostedKey[]
}

/** Who this node is: its name, its public URL and the parties it hosts with their keys. */
export interface NodeIdentity {
  readonly node: string
  readonly federationUrl: string
  readonly parties: ReadonlyMap<string, HostedParty>
}

const PEM_LABEL = 'PRIVATE KEY'

/** Writes an Ed25519 private key as a PKCS#8 PEM file readable by its owner only. */
export async function writeKeyFile(path: string, privateKey: CryptoKey): Promise<void> {
  const der = Buffer.from(await exportPrivateKey(privateKey))
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n')
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await writeFile(path, `-----BEGIN ${PEM_LABEL}-----\n${body}-----END ${PEM_LABEL}-----\n`, {
    mode: 0o600,
    flag: 'wx',
  })
  // The umask can widen the mode given to open(); a private key must stay owner-only.
  await chmod(path, 0o600)
}

/** Reads a PKCS#8 PEM Ed25519 private key. */
export async function readKeyFile(path: string): Promise<CryptoKey> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new ServerError('KEY_FILE_INVALID', { path, reason: (error as Error).message })
  }
  const match = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(text)
  if (match === null) throw new ServerError('KEY_FILE_INVALID', { path, reason: 'not a PEM key' })
  try {
    return await importPrivateKey(new Uint8Array(Buffer.from(match[1]!, 'base64')))
  } catch (error) {
    throw new ServerError('KEY_FILE_INVALID', { path, reason: (error as Error).message })
  }
}

/** Creates a fresh key pair for `party` and writes its private half to `file`. */
export async function createKeyFile(file: string): Promise<string> {
  const pair = await generateKeyPair(true)
  await writeKeyFile(file, pair.privateKey)
  return pair.publicKey
}

async function loadParty(config: HostedPartyConfig): Promise<HostedParty> {
  const keys = await Promise.all(
    config.keys.map(async (key): Promise<HostedKey> => {
      const privateKey = await readKeyFile(key.file)
      return { ...key, privateKey, publicKey: await publicKeyOf(privateKey) }
    }),
  )
  return { id: config.id, name: config.name, keys }
}

/** Loads the hosted parties' keys named by the config. */
export async function loadNodeIdentity(config: NodeConfig): Promise<NodeIdentity> {
  const parties = await Promise.all(config.parties.map(loadParty))
  return {
    node: config.node,
    federationUrl: config.federationUrl.replace(/\/+$/, ''),
    parties: new Map(parties.map((party) => [party.id, party])),
  }
}

/** The key a party signs with at `time`: the highest-numbered key valid then. */
export function signingKey(party: HostedParty, time: number): HostedKey {
  const valid = party.keys.filter(
    (key) => key.validFrom <= time && (key.validUntil === null || time < key.validUntil),
  )
  const key = valid.sort((a, b) => keyNumber(b.id) - keyNumber(a.id))[0]
  if (key === undefined) {
    throw new ServerError('KEY_FILE_INVALID', {
      path: party.id,
      reason: `no key of ${party.id} is valid at ${time}`,
    })
  }
  return key
}

function keyNumber(keyId: string): number {
  return Number(keyId.slice(keyId.indexOf('#') + 1))
}

/** The party that speaks for this node when a request concerns no channel: its first. */
export function firstParty(identity: NodeIdentity): HostedParty {
  return identity.parties.values().next().value!
}

/** What `parley init` needs to create a node directory. */
export interface InitNodeOptions {
  readonly dir: string
  readonly parties: readonly { readonly id: string; readonly name: string }[]
  readonly node?: string
  readonly host?: string
  readonly port?: number
  readonly federationUrl?: string
  readonly now?: number
}

/**
 * Creates a node directory: `parley.json`, and one Ed25519 key file per hosted party under
 * `keys/` (mode 0600). Refuses to overwrite an existing config, so keys are never lost.
 */
export async function initNodeDirectory(
  options: InitNodeOptions,
): Promise<{ configFile: string; config: NodeConfig; fingerprints: Record<string, string> }> {
  const configFile = join(options.dir, 'parley.json')
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 7100
  const fingerprints: Record<string, string> = {}
  const parties: HostedPartyConfig[] = []
  await mkdir(options.dir, { recursive: true, mode: 0o700 })
  if (await exists(configFile)) {
    throw new ServerError('CONFIG_INVALID', { reason: `${configFile} already exists` })
  }
  for (const party of options.parties) {
    const file = `keys/${party.id}-1.private.pem`
    const publicKey = await createKeyFile(join(options.dir, file))
    fingerprints[party.id] = await fingerprint(publicKey)
    const key = { id: `${party.id}#1`, file, validFrom: options.now ?? 0, validUntil: null }
    parties.push({ id: party.id, name: party.name, keys: [key] })
  }
  const config: NodeConfig = {
    node: options.node ?? options.parties[0]?.id ?? 'parley',
    listen: { host, port },
    federationUrl: options.federationUrl ?? `http://${host}:${port}`,
    dataDir: 'db',
    parties,
    peers: [],
  }
  parseConfig(config, options.dir)
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  return { configFile, config, fingerprints }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

/**
 * The peer entry another node's config gets for this node: its URL and its parties' public
 * keys. `parley peer add` builds the same from the descriptor after checking a fingerprint;
 * this shortcut is for nodes set up together (the demo, tests), whose keys are on this disk.
 */
export async function peerEntryOf(config: NodeConfig, now: number): Promise<PeerConfig> {
  const identity = await loadNodeIdentity(config)
  const parties = await Promise.all(
    [...identity.parties.values()].map(async (party) => {
      const keys = party.keys.map(({ id, publicKey, validFrom, validUntil }) => ({
        id,
        publicKey,
        validFrom,
        validUntil,
      }))
      return {
        id: party.id,
        name: party.name,
        fingerprint: await partyFingerprint(keys, now),
        keys,
      }
    }),
  )
  return { url: identity.federationUrl, node: identity.node, parties }
}
