import { mkdir, open } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import {
  exportPrivateKey,
  fingerprint,
  generateKeyPair,
  KeyIdSchema,
  keyNumber,
  keyParty,
  PartyIdSchema,
} from '@parley/protocol'
import type { Command } from 'commander'
import { CliError } from '../errors.ts'

// The protocol's schemas carry the patterns; TypeBox's TString type does not declare the field.
const PARTY_ID = new RegExp((PartyIdSchema as typeof PartyIdSchema & { pattern: string }).pattern)
const KEY_ID = new RegExp((KeyIdSchema as typeof KeyIdSchema & { pattern: string }).pattern)

/** What `parley keys generate` made, as printed with `--json`. */
export interface GeneratedKey {
  readonly party: string
  readonly keyId: string
  readonly publicKey: string
  readonly fingerprint: string
  readonly privateKeyFile: string
}

export interface GenerateKeyOptions {
  readonly party: string
  readonly keyId?: string
  /** Directory for the private key file; created (mode 0700) when missing. */
  readonly out: string
}

/**
 * Generates an Ed25519 key pair for a party and writes the private half as a PKCS#8 PEM file
 * readable by its owner only. Never overwrites an existing key file: losing a private key
 * that peers have pinned is not recoverable.
 */
export async function generateKey(options: GenerateKeyOptions): Promise<GeneratedKey> {
  const { party } = options
  if (!PARTY_ID.test(party)) {
    throw new CliError('USAGE', {
      reason: `--party ${JSON.stringify(party)} is not a party id (a-z, 0-9, '-', 2 to 32 characters, starting with a letter)`,
    })
  }
  const keyId = options.keyId ?? `${party}#1`
  if (!KEY_ID.test(keyId) || keyParty(keyId) !== party || !Number.isSafeInteger(keyNumber(keyId))) {
    throw new CliError('USAGE', {
      reason: `--key-id ${JSON.stringify(keyId)} must be ${party}#<n> with n a positive integer`,
    })
  }
  const pair = await generateKeyPair(true)
  const pem = toPem(await exportPrivateKey(pair.privateKey))
  const dir = resolve(options.out)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, `${party}-${keyNumber(keyId)}.private.pem`)
  await writeNewPrivateFile(file, pem)
  return {
    party,
    keyId,
    publicKey: pair.publicKey,
    fingerprint: await fingerprint(pair.publicKey),
    privateKeyFile: file,
  }
}

function toPem(pkcs8: Uint8Array): string {
  const base64 = Buffer.from(pkcs8).toString('base64')
  const lines = base64.match(/.{1,64}/g) ?? []
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`
}

async function writeNewPrivateFile(file: string, content: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    // 'wx' fails when the file exists, atomically, so a concurrent run cannot overwrite either.
    handle = await open(file, 'wx', 0o600)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new CliError('KEY_FILE_EXISTS', { path: file })
    throw new CliError('FILE_UNWRITABLE', { path: file, reason: (error as Error).message })
  }
  try {
    // open() applies its mode through the umask; set it explicitly so the file is exactly 0600.
    await handle.chmod(0o600)
    await handle.writeFile(content)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function printKey(key: GeneratedKey, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(key, null, 2)}\n`)
    return
  }
  process.stdout.write(
    [
      `key id       ${key.keyId}`,
      `public key   ${key.publicKey}`,
      `fingerprint  ${key.fingerprint}`,
      `private key  ${key.privateKeyFile} (mode 0600; keep it secret, back it up)`,
      '',
    ].join('\n'),
  )
}

export function register(program: Command): void {
  const keys = program.command('keys').description('manage a party’s Ed25519 signing keys')
  keys
    .command('generate')
    .description('generate an Ed25519 key pair; the private key goes to a PKCS#8 PEM file (0600)')
    .requiredOption('--party <id>', 'the party the key belongs to, e.g. usa')
    .option('--key-id <id>', 'the key id, <party>#<n> (default <party>#1)')
    .option('--out <dir>', 'directory for the private key file', '.')
    .option('--json', 'print the result as JSON')
    .action(async (options: { party: string; keyId?: string; out: string; json?: boolean }) => {
      const key = await generateKey(options)
      printKey(key, options.json === true)
    })
}
