import { readFileSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parseJson } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { Value } from 'typebox/value'
import { ServerError } from './errors.ts'
import { releaseFloor } from './features/compose/release-floor.ts'
import { ReleaseConfigSchema, releaseGuard } from './features/compose/release-guard.ts'
import { SmtpConfigSchema } from './features/escalation/smtp-config.ts'
import { passwordHashParameters } from './features/officers/password.ts'
import { PrivacyConfigSchema } from './features/privacy/privacy-config.ts'
import { AuthConfigSchema } from './features/sessions/auth-settings.ts'

const PartyId = Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}$' })
const KeyId = Type.String({ pattern: '^[a-z][a-z0-9-]{1,31}#[1-9][0-9]*$' })
const Time = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

/** A hosted party's key: the private half lives in a PKCS#8 PEM file (mode 0600). */
export const HostedKeySchema = Type.Object(
  {
    id: KeyId,
    file: Type.String({ minLength: 1, description: 'PKCS#8 PEM, relative to the config file' }),
    validFrom: Time,
    validUntil: Type.Union([Time, Type.Null()]),
  },
  { additionalProperties: false },
)

export const HostedPartySchema = Type.Object(
  {
    id: PartyId,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    keys: Type.Array(HostedKeySchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

/** A peer's public key as pinned by `parley peer add` (never learned from the network alone). */
export const PinnedKeySchema = Type.Object(
  {
    id: KeyId,
    publicKey: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
    validFrom: Time,
    validUntil: Type.Union([Time, Type.Null()]),
  },
  { additionalProperties: false },
)

export const PeerSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'The peer’s federation base URL' }),
    node: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    parties: Type.Array(
      Type.Object(
        {
          id: PartyId,
          name: Type.String(),
          fingerprint: Type.String(),
          keys: Type.Array(PinnedKeySchema, { minItems: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)

/**
 * Delivery timings (DESIGN §4.7) and the push window. The defaults are the design's; shorter ones let a test
 * federation (or a small deployment on one site) heal within seconds. Never longer than the
 * design allows: a peer must not wait more than 30 s for a retry or 60 s for anti-entropy.
 */
export const DeliverySettingsSchema = Type.Object(
  {
    retryBaseMs: Type.Optional(
      Type.Integer({
        minimum: 10,
        maximum: 30_000,
        description: 'First retry after a failed push, doubled after each failure; default 500',
      }),
    ),
    retryCapMs: Type.Optional(
      Type.Integer({
        minimum: 10,
        maximum: 30_000,
        description: 'Longest wait between push retries; default 30000',
      }),
    ),
    antiEntropyEveryMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 60_000,
        description: 'Period of anti-entropy with every peer; default 60000',
      }),
    ),
    window: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64,
        description:
          'Most push batches in flight to one peer node at once, never two holding events of one chain; default 4',
      }),
    ),
  },
  { additionalProperties: false },
)

/**
 * The sector taxonomy notices are checked against: a shipped one (`cisa`, the default, or
 * `nis2`), or the node's own list. Labels of custom sectors are given in English and Russian.
 */
export const SectorsConfigSchema = Type.Object(
  {
    taxonomy: Type.Optional(Type.Enum(['cisa', 'nis2'])),
    custom: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' }),
            label: Type.Object(
              { en: Type.String({ minLength: 1 }), ru: Type.String({ minLength: 1 }) },
              { additionalProperties: false },
            ),
            parent: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' })),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 500 },
      ),
    ),
  },
  { additionalProperties: false },
)

/** The node config file, `parley.json`. Paths are relative to the file's directory. */
export const NodeConfigSchema = Type.Object(
  {
    node: Type.String({ minLength: 1, maxLength: 64, description: 'The node’s name' }),
    listen: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
      },
      { additionalProperties: false },
    ),
    federationUrl: Type.String({
      minLength: 1,
      description: 'Public base URL peers use to reach this node',
    }),
    dataDir: Type.String({ minLength: 1 }),
    databaseUrl: Type.Optional(Type.String({ minLength: 1 })),
    auth: Type.Optional(AuthConfigSchema),
    release: Type.Optional(ReleaseConfigSchema),
    delivery: Type.Optional(DeliverySettingsSchema),
    sectors: Type.Optional(SectorsConfigSchema),
    smtp: Type.Optional(SmtpConfigSchema),
    privacy: Type.Optional(PrivacyConfigSchema),
    parties: Type.Array(HostedPartySchema, { minItems: 1 }),
    peers: Type.Array(PeerSchema),
  },
  { additionalProperties: false },
)

export type NodeConfig = Static<typeof NodeConfigSchema>
export type HostedPartyConfig = Static<typeof HostedPartySchema>
export type PeerConfig = Static<typeof PeerSchema>
export type PinnedKey = Static<typeof PinnedKeySchema>
export type DeliverySettings = Static<typeof DeliverySettingsSchema>
export type SectorsConfig = Static<typeof SectorsConfigSchema>

/** Environment variables a node honours; only this module and main.ts read process.env. */
export interface NodeEnv {
  readonly DATABASE_URL?: string
  readonly PARLEY_PORT?: string
}

/**
 * Validates a parsed config and resolves its paths against `baseDir`, so the rest of the
 * node only ever sees absolute paths. Throws `CONFIG_INVALID` naming the first bad field.
 */
export function parseConfig(value: unknown, baseDir: string, env: NodeEnv = {}): NodeConfig {
  // Named, not just refused as an unknown field: a node upgraded from one that had it must
  // learn what replaces it.
  if (typeof value === 'object' && value !== null && 'devToken' in value) {
    throw new ServerError('CONFIG_INVALID', {
      reason:
        '/devToken is no longer supported: remove it, and issue an API token bound to an officer with parley officer token create',
    })
  }
  if (!Value.Check(NodeConfigSchema, value)) {
    const first = [...Value.Errors(NodeConfigSchema, value)][0]
    throw new ServerError('CONFIG_INVALID', {
      reason: `${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`,
    })
  }
  // Refused at load, not at the first composition: a floor naming no type, a bad expression.
  releaseFloor(value.release)
  releaseGuard(value.release)
  const ids = value.parties.map((party) => party.id)
  if (new Set(ids).size !== ids.length) {
    throw new ServerError('CONFIG_INVALID', { reason: 'a party is hosted twice' })
  }
  const hashing = passwordHashParameters(value.auth?.passwordHash)
  // argon2 needs 8 KiB of memory per lane.
  if (hashing.memoryCost < 8 * hashing.parallelism) {
    throw new ServerError('CONFIG_INVALID', {
      reason: `/auth/passwordHash/memoryCost must be at least 8 KiB per lane (${8 * hashing.parallelism})`,
    })
  }
  const at = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path))
  const port = env.PARLEY_PORT === undefined ? value.listen.port : Number(env.PARLEY_PORT)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ServerError('CONFIG_INVALID', { reason: `PARLEY_PORT ${env.PARLEY_PORT}` })
  }
  const databaseUrl = env.DATABASE_URL ?? value.databaseUrl
  return {
    ...value,
    listen: { ...value.listen, port },
    dataDir: at(value.dataDir),
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    parties: value.parties.map((party) => ({
      ...party,
      keys: party.keys.map((key) => ({ ...key, file: at(key.file) })),
    })),
  }
}

/** Reads and validates `parley.json`; environment variables override the file. */
export function loadConfig(file: string, env: NodeEnv = process.env): NodeConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ServerError('CONFIG_NOT_FOUND', { path: file, reason: (error as Error).message })
  }
  let value: unknown
  try {
    value = parseJson(text)
  } catch (error) {
    throw new ServerError('CONFIG_INVALID', { reason: (error as Error).message })
  }
  return parseConfig(value, dirname(resolve(file)), env)
}

/**
 * Drops a peer party from a config file (and its peer entry once it has no party left), keeping
 * everything else as written; atomic like {@link addPeerToConfigFile}. Returns whether it was there.
 */
export async function removePeerFromConfigFile(file: string, party: string): Promise<boolean> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as NodeConfig
  parseConfig(raw, dirname(resolve(file)))
  if (!raw.peers.some((entry) => entry.parties.some((p) => p.id === party))) return false
  const peers = raw.peers
    .map((entry) => ({ ...entry, parties: entry.parties.filter((p) => p.id !== party) }))
    .filter((entry) => entry.parties.length > 0)
  const next = { ...raw, peers }
  parseConfig(next, dirname(resolve(file)))
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 })
  await rename(temporary, file)
  return true
}

/**
 * Records a pinned peer in a config file, replacing the pins of the same parties, and keeps
 * everything else of the file as written. The write is atomic (a new file renamed over).
 */
export async function addPeerToConfigFile(file: string, peer: PeerConfig): Promise<void> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as NodeConfig
  parseConfig(raw, dirname(resolve(file)))
  const pinned = new Set(peer.parties.map((party) => party.id))
  const others = raw.peers
    .map((entry) => ({ ...entry, parties: entry.parties.filter((p) => !pinned.has(p.id)) }))
    .filter((entry) => entry.parties.length > 0 && entry.url !== peer.url)
  const same = raw.peers.find((entry) => entry.url === peer.url)
  const kept = same?.parties.filter((party) => !pinned.has(party.id)) ?? []
  const merged = { ...same, ...peer, parties: [...kept, ...peer.parties] }
  const next = { ...raw, peers: [...others, merged] }
  parseConfig(next, dirname(resolve(file)))
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 })
  await rename(temporary, file)
}
