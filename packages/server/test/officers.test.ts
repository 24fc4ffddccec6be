import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createFirstAdmin,
  createOfficer,
  disableOfficer,
  listOfficers,
  setRoles,
} from '../src/features/officers/officers.service.ts'
import { type AuthTestApp, Browser, startAuthApp } from './support/auth-app.ts'
import { addOfficer, enrolledOfficer, PASSWORD } from './support/officers.ts'

const cli = { officer: null, party: null, via: 'cli' } as const

describe('officers', () => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await startAuthApp()
  })
  afterAll(() => t.close())

  const storedHash = async (app: AuthTestApp, officer: string) =>
    (
      await app.database.db
        .selectFrom('officers')
        .select('password_hash')
        .where('id', '=', officer)
        .executeTakeFirstOrThrow()
    ).password_hash

  it('stores only an argon2id hash with the node’s cost parameters', async () => {
    // The test node is configured with auth.passwordHash = { memoryCost: 8, timeCost: 1, parallelism: 1 }.
    const hash = await storedHash(t, (await addOfficer(t, 'hashed')).id)
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=8,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(hash).not.toContain(PASSWORD)
  })

  it('hashes at the production cost, 64 MiB and 5 passes, when the config names none', async () => {
    const production = await startAuthApp({ passwordHash: {} })
    try {
      const hash = await storedHash(production, (await addOfficer(production, 'costly')).id)
      expect(hash).toMatch(
        /^\$argon2id\$v=19\$m=65536,t=5,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
      )
      // A hash names its own cost: moved to a node configured cheaper, it still logs in.
      const officer = await addOfficer(t, 'moved')
      await t.database.db
        .updateTable('officers')
        .set({ password_hash: hash })
        .where('id', '=', officer.id)
        .execute()
      expect((await new Browser(t.app).login('moved', PASSWORD)).status).toBe(200)
      expect((await new Browser(t.app).login('moved', `${PASSWORD}!`)).status).toBe(401)
    } finally {
      await production.close()
    }
  })

  it('gives each officer a random pseudonymous id that their events carry', async () => {
    const { officer, browser } = await enrolledOfficer(t, 'pseudonym')
    expect(officer.id).toMatch(/^o_[0-9a-hjkmnp-tv-z]{26}$/)
    expect(officer.id).not.toContain('pseudonym')
    const created = await browser.request('POST', '/channels', {
      as: 'usa',
      title: 'Hotline',
      members: ['usa', 'rus'],
    })
    expect(created.status).toBe(201)
    expect(created.body.event.event.officer).toBe(officer.id)
  })

  it('keeps usernames unique on the node whatever their case', async () => {
    await addOfficer(t, 'unique')
    await expect(
      createOfficer(t.ctx, cli, {
        party: 'est',
        username: 'UNIQUE',
        displayName: 'x',
        roles: ['viewer'],
      }),
    ).rejects.toMatchObject({ code: 'USERNAME_TAKEN' })
  })

  it('refuses a party the node does not host, a weak password and an officer without a role', async () => {
    const base = { username: 'refused', displayName: 'x', password: PASSWORD }
    await expect(
      createOfficer(t.ctx, cli, { ...base, party: 'rus', roles: ['viewer'] }),
    ).rejects.toMatchObject({
      code: 'PARTY_NOT_HOSTED',
    })
    await expect(
      createOfficer(t.ctx, cli, { ...base, party: 'usa', roles: ['viewer'], password: 'short' }),
    ).rejects.toMatchObject({ code: 'PASSWORD_TOO_WEAK' })
    await expect(
      createOfficer(t.ctx, cli, {
        ...base,
        party: 'usa',
        roles: ['viewer'],
        password: 'refused-and-more',
      }),
    ).rejects.toMatchObject({
      code: 'PASSWORD_TOO_WEAK',
      message: 'Password refused: it contains the username',
    })
    await expect(
      createOfficer(t.ctx, cli, { ...base, party: 'usa', roles: [] }),
    ).rejects.toMatchObject({
      code: 'REQUEST_INVALID',
    })
  })

  it('generates a password when none is given, to be changed at first login', async () => {
    const { password } = await createOfficer(t.ctx, cli, {
      party: 'usa',
      username: 'generated',
      displayName: 'Generated',
      roles: ['viewer'],
    })
    expect(password).toMatch(/^[0-9a-z]{5}(-[0-9a-z]{5}){3}$/)
    const login = await new Browser(t.app).login('generated', password!)
    expect(login.body.officer.mustChangePassword).toBe(true)
  })

  it('keeps the last active admin of a party', async () => {
    const { officer } = await createFirstAdmin(t.ctx, {
      party: 'est',
      username: 'est-admin',
      displayName: 'Estonian admin',
      password: PASSWORD,
    })
    await expect(setRoles(t.ctx, cli, officer.id, ['viewer'])).rejects.toMatchObject({
      code: 'LAST_ADMIN',
    })
    await expect(disableOfficer(t.ctx, cli, 'est-admin')).rejects.toMatchObject({
      code: 'LAST_ADMIN',
    })
    await expect(
      createFirstAdmin(t.ctx, {
        party: 'est',
        username: 'second',
        displayName: 'x',
        password: PASSWORD,
      }),
    ).rejects.toMatchObject({ code: 'OFFICERS_EXIST' })
  })

  describe('the admin API', () => {
    let usaAdmin: Browser
    let estAdmin: Browser
    let drafter: Browser
    beforeAll(async () => {
      usaAdmin = (await enrolledOfficer(t, 'usa-boss', { roles: ['admin'] })).browser
      estAdmin = (await enrolledOfficer(t, 'est-boss', { roles: ['admin'], party: 'est' })).browser
      drafter = (await enrolledOfficer(t, 'usa-drafter')).browser
    })

    it('lets an admin create officers of their party, with a password shown once', async () => {
      const created = await usaAdmin.request('POST', '/officers', {
        username: 'Rookie',
        displayName: 'Rookie Officer',
        email: 'rookie@state.example',
        roles: ['viewer', 'drafter'],
      })
      expect(created.status).toBe(201)
      expect(created.body.officer).toMatchObject({
        party: 'usa',
        username: 'rookie',
        roles: ['viewer', 'drafter'],
        mustChangePassword: true,
        factors: { totp: false, passkeys: 0, recoveryCodes: 0 },
      })
      expect(typeof created.body.password).toBe('string')
      const other = await usaAdmin.request('POST', '/officers', {
        party: 'est',
        username: 'infiltrator',
        displayName: 'x',
        roles: ['admin'],
      })
      expect(other.status).toBe(403)
    })

    it('shows an admin their own party’s officers only, and no one else’s by id', async () => {
      const usa = (await usaAdmin.request('GET', '/officers')).body.officers
      expect(usa.length).toBeGreaterThan(0)
      expect(usa.every((officer: { party: string }) => officer.party === 'usa')).toBe(true)
      const est = (await estAdmin.request('GET', '/officers')).body.officers
      const estOfficer = est.find(
        (officer: { username: string }) => officer.username === 'est-boss',
      )
      for (const path of [
        `/officers/${estOfficer.id}/disable`,
        '/officers/est-boss/reset-password',
      ]) {
        const reply = await usaAdmin.request('POST', path, {})
        expect(reply.status).toBe(404)
        expect(reply.body.error.code).toBe('OFFICER_NOT_FOUND')
      }
      expect(JSON.stringify(usa)).not.toContain('password_hash')
    })

    it('refuses every officer route to an officer without the admin role', async () => {
      for (const [method, path, body] of [
        ['GET', '/officers', undefined],
        ['POST', '/officers', { username: 'x-y', displayName: 'x', roles: ['viewer'] }],
        ['PUT', '/officers/usa-boss/roles', { roles: ['viewer'] }],
        ['POST', '/officers/usa-boss/disable', undefined],
        ['POST', '/officers/usa-boss/enable', undefined],
        ['POST', '/officers/usa-boss/reset-password', {}],
        ['GET', '/audit', undefined],
      ] as const) {
        const reply = await drafter.request(method, path, body)
        expect(reply.status, `${method} ${path}`).toBe(403)
        expect(reply.body.error).toMatchObject({
          code: 'FORBIDDEN_ROLE',
          message: 'This needs the admin role',
        })
      }
    })

    it('changes roles, disables and enables, each audited with the admin who did it', async () => {
      const target = await addOfficer(t, 'managed')
      const roles = await usaAdmin.request('PUT', `/officers/${target.id}/roles`, {
        roles: ['releaser', 'viewer'],
      })
      expect(roles.body.roles).toEqual(['viewer', 'releaser'])
      expect((await usaAdmin.request('POST', `/officers/${target.id}/disable`)).body.disabled).toBe(
        true,
      )
      expect((await usaAdmin.request('POST', `/officers/${target.id}/enable`)).body.disabled).toBe(
        false,
      )
      const entries = (await usaAdmin.request('GET', '/audit?limit=500')).body.entries.filter(
        (entry: { details: { target?: string } }) => entry.details.target === target.id,
      )
      const me = (await usaAdmin.request('GET', '/auth/session')).body.officer.id
      expect(
        entries.map((entry: { action: string; officer: string | null }) => [
          entry.action,
          entry.officer,
        ]),
      ).toEqual([
        ['officer.create', null],
        ['officer.roles', me],
        ['officer.disable', me],
        ['officer.enable', me],
      ])
      expect(entries[1].details).toMatchObject({
        from: 'drafter',
        to: 'viewer,releaser',
        via: 'api',
      })
    })

    it('lists officers for the CLI across parties', async () => {
      const all = await listOfficers(t.ctx)
      expect(new Set(all.map((officer) => officer.party))).toEqual(new Set(['usa', 'est']))
    })
  })
})
