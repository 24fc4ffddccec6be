import { readFile } from 'node:fs/promises'
import type { Actor, ApiTokenView, OfficerView, Role } from '@parley/server'
import type { Command } from 'commander'
import { CliError } from '../errors.ts'
import { type NodeLocation, withNode } from '../node-database.ts'

const ROLE_NAMES: readonly Role[] = ['viewer', 'drafter', 'releaser', 'admin']

/** The operator at the console: audited as the CLI, allowed to manage every hosted party. */
const OPERATOR: Actor = { officer: null, party: null, via: 'cli' }

interface Located {
  dataDir: string
  config?: string
  json?: boolean
}

const location = (options: Located): NodeLocation => ({
  dataDir: options.dataDir,
  ...(options.config === undefined ? {} : { config: options.config }),
})

function located(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'the node directory made by parley init', 'parley-data')
    .option('--config <file>', 'the config file (default: <data-dir>/parley.json)')
    .option('--json', 'print JSON')
}

/** Reads a password from a file, or from standard input for `-`; one trailing newline is dropped. */
export async function readPasswordFile(path: string): Promise<string> {
  let text: string
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8')
  } catch (error) {
    throw new CliError('FILE_UNREADABLE', { path, reason: (error as Error).message })
  }
  return text.replace(/\r?\n$/, '')
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export function parseRoles(text: readonly string[]): Role[] {
  const roles = text
    .flatMap((part) => part.split(','))
    .map((role) => role.trim())
    .filter(Boolean)
  const unknown = roles.filter((role) => !ROLE_NAMES.includes(role as Role))
  if (unknown.length > 0 || roles.length === 0) {
    throw new CliError('USAGE', {
      reason: `roles must be some of ${ROLE_NAMES.join(', ')}; got ${JSON.stringify(text.join(','))}`,
    })
  }
  return roles as Role[]
}

function describe(officer: OfficerView): string {
  const factors = [
    officer.factors.totp ? 'totp' : null,
    officer.factors.passkeys > 0 ? `${officer.factors.passkeys} passkey(s)` : null,
  ].filter(Boolean)
  return [
    officer.id,
    officer.party.padEnd(6),
    officer.username.padEnd(20),
    officer.roles.join(',').padEnd(28),
    officer.disabled ? 'disabled' : 'active  ',
    factors.length > 0 ? factors.join('+') : 'no second factor',
  ].join('  ')
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json === true ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`)
}

function passwordLines(password: string | null): string {
  return password === null
    ? ''
    : `\nPassword (shown this once; the officer must change it at first login):\n  ${password}`
}

/**
 * Creates the first admin of each hosted party of a freshly initialised node, for `parley
 * init`. One party: username `admin` (or the one given); several: `admin-<party>`. Returns
 * what to print.
 */
export async function createInitialAdmins(
  configFile: string,
  options: { readonly username?: string; readonly passwordFile?: string } = {},
): Promise<string> {
  const { createFirstAdmin } = await import('@parley/server')
  const password =
    options.passwordFile === undefined ? undefined : await readPasswordFile(options.passwordFile)
  return withNode({ dataDir: '.', config: configFile }, async ({ ctx }) => {
    const lines: string[] = []
    for (const party of ctx.parties) {
      const base = options.username ?? 'admin'
      const username = ctx.parties.length === 1 ? base : `${base}-${party}`
      const created = await createFirstAdmin(ctx, {
        party,
        username,
        displayName: `Administrator (${party})`,
        ...(password === undefined ? {} : { password }),
      })
      lines.push(
        `First admin of ${party}: ${username} (${created.officer.id})${passwordLines(created.password)}`,
      )
    }
    return lines.join('\n\n')
  })
}

/** `parley officer add|list|disable|enable|reset-password|roles|token`. */
export function register(program: Command): void {
  const officer = program
    .command('officer')
    .description(
      'manage the officers of the hosted parties (with embedded PGlite, stop the node first)',
    )

  located(officer.command('add'))
    .description('create an officer; a generated password is printed once unless given')
    .requiredOption('--username <name>', 'login name, unique on the node')
    .requiredOption('--name <display-name>', 'the officer’s name as colleagues see it')
    .option('--party <id>', 'the officer’s party (default: the node’s only party)')
    .option('--email <address>', 'contact address')
    .option('--roles <roles>', `comma-separated, of ${ROLE_NAMES.join(', ')}`, 'viewer')
    .option('--password-file <file>', 'read the password from this file (- for standard input)')
    .action(async (options: Located & AddOptions) => {
      const { createOfficer } = await import('@parley/server')
      const roles = parseRoles([options.roles])
      const password =
        options.passwordFile === undefined
          ? undefined
          : await readPasswordFile(options.passwordFile)
      const created = await withNode(location(options), ({ ctx }) => {
        const party = options.party ?? onlyParty(ctx.parties)
        return createOfficer(ctx, OPERATOR, {
          party,
          username: options.username,
          displayName: options.name,
          email: options.email ?? null,
          roles,
          ...(password === undefined ? {} : { password }),
        })
      })
      print(
        options.json,
        created,
        `Created ${describe(created.officer)}${passwordLines(created.password)}`,
      )
    })

  located(officer.command('list'))
    .description('list officers, with their roles and second factors')
    .option('--party <id>', 'only this party’s')
    .action(async (options: Located & { party?: string }) => {
      const { listOfficers } = await import('@parley/server')
      const officers = await withNode(location(options), ({ ctx }) =>
        listOfficers(ctx, options.party),
      )
      print(
        options.json,
        { officers },
        officers.length === 0 ? 'No officers.' : officers.map(describe).join('\n'),
      )
    })

  for (const [name, description] of [
    ['disable', 'disable an officer and end all their sessions'],
    ['enable', 'enable a disabled officer'],
  ] as const) {
    located(officer.command(`${name} <officer>`))
      .description(`${description} (<officer>: id or username)`)
      .action(async (ref: string, options: Located) => {
        const server = await import('@parley/server')
        const change = name === 'disable' ? server.disableOfficer : server.enableOfficer
        const changed = await withNode(location(options), ({ ctx }) => change(ctx, OPERATOR, ref))
        print(options.json, changed, describe(changed))
      })
  }

  located(officer.command('reset-password <officer>'))
    .description('set a new password (generated unless given) and end all the officer’s sessions')
    .option('--password-file <file>', 'read the password from this file (- for standard input)')
    .option('--clear-factors', 'also remove TOTP, passkeys and recovery codes (lost device)')
    .action(
      async (ref: string, options: Located & { passwordFile?: string; clearFactors?: boolean }) => {
        const { resetPassword } = await import('@parley/server')
        const password =
          options.passwordFile === undefined
            ? undefined
            : await readPasswordFile(options.passwordFile)
        const reset = await withNode(location(options), ({ ctx }) =>
          resetPassword(ctx, OPERATOR, ref, {
            ...(password === undefined ? {} : { password }),
            clearFactors: options.clearFactors === true,
          }),
        )
        print(
          options.json,
          reset,
          `Reset ${describe(reset.officer)}${passwordLines(reset.password)}`,
        )
      },
    )

  located(officer.command('roles <officer> [roles...]'))
    .description(`show an officer’s roles, or replace them (${ROLE_NAMES.join(', ')})`)
    .action(async (ref: string, roles: string[], options: Located) => {
      const server = await import('@parley/server')
      const result = await withNode(location(options), async ({ ctx }) => {
        if (roles.length === 0) {
          const row = await server.findOfficer(ctx.db, ref)
          return server.officerView(ctx.db, row)
        }
        return server.setRoles(ctx, OPERATOR, ref, parseRoles(roles))
      })
      print(options.json, result, `${result.username}: ${result.roles.join(', ')}`)
    })

  registerTokens(officer)
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

/**
 * When a token given `--expires` ends: a duration from now (`90m`, `12h`, `30d`) or a date
 * (`2026-12-31`, `2026-12-31T18:00:00Z`). The node refuses a past one or one past a year.
 */
export function parseExpiry(text: string, now: number): number {
  const duration = /^(\d+)([mhd])$/.exec(text.trim())
  if (duration !== null) return now + Number(duration[1]) * DURATION_UNITS[duration[2]!]!
  const date = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN
  if (Number.isNaN(date)) {
    throw new CliError('USAGE', {
      reason: `--expires takes a duration (30d, 12h, 90m) or a date (2026-12-31); got ${JSON.stringify(text)}`,
    })
  }
  return date
}

function describeToken(token: ApiTokenView): string {
  const state =
    token.revokedAt !== null
      ? `revoked ${new Date(token.revokedAt).toISOString()}`
      : `expires ${new Date(token.expiresAt).toISOString()}`
  const used =
    token.lastUsedAt === null ? 'never used' : `used ${new Date(token.lastUsedAt).toISOString()}`
  return [token.id, token.scope.join(',').padEnd(28), state, used, token.label]
    .filter(Boolean)
    .join('  ')
}

/** `parley officer token create|list|revoke`: API tokens bound to an officer. */
function registerTokens(officer: Command): void {
  const token = officer
    .command('token')
    .description('API tokens for automation, each bound to one officer and a scope of their roles')

  located(token.command('create <officer>'))
    .description('issue a token for an officer (id or username); its secret is printed once')
    .requiredOption(
      '--scope <roles>',
      `comma-separated, of the officer’s roles (${ROLE_NAMES.join(', ')})`,
    )
    .requiredOption('--expires <when>', 'a duration (30d, 12h, 90m) or a date; at most 366 days')
    .option('--label <text>', 'what the token is for, as the token list shows it')
    .action(
      async (
        ref: string,
        options: Located & { scope: string; expires: string; label?: string },
      ) => {
        const { createToken } = await import('@parley/server')
        const scope = parseRoles([options.scope])
        const expiresAt = parseExpiry(options.expires, Date.now())
        const created = await withNode(location(options), ({ ctx }) =>
          createToken(ctx, OPERATOR, ref, {
            scope,
            expiresAt,
            ...(options.label === undefined ? {} : { label: options.label }),
          }),
        )
        print(
          options.json,
          created,
          [
            `Issued ${describeToken(created.token)}`,
            'Token (shown this once; the node keeps only its hash; send it as Authorization: Bearer):',
            `  ${created.secret}`,
          ].join('\n'),
        )
      },
    )

  located(token.command('list <officer>'))
    .description('list an officer’s tokens, revoked and expired ones too (never a secret)')
    .action(async (ref: string, options: Located) => {
      const { listTokens } = await import('@parley/server')
      const tokens = await withNode(location(options), ({ ctx }) => listTokens(ctx, OPERATOR, ref))
      print(
        options.json,
        { tokens },
        tokens.length === 0 ? 'No tokens.' : tokens.map(describeToken).join('\n'),
      )
    })

  located(token.command('revoke <token>'))
    .description('revoke a token (t_…): refused from its next use on')
    .action(async (id: string, options: Located) => {
      const { revokeToken } = await import('@parley/server')
      const revoked = await withNode(location(options), ({ ctx }) => revokeToken(ctx, OPERATOR, id))
      print(options.json, revoked, `Revoked ${describeToken(revoked)}`)
    })
}

function onlyParty(parties: readonly string[]): string {
  if (parties.length === 1) return parties[0]!
  throw new CliError('USAGE', {
    reason: `this node hosts ${parties.join(', ')}: say which with --party <id>`,
  })
}

interface AddOptions {
  username: string
  name: string
  party?: string
  email?: string
  roles: string
  passwordFile?: string
}
