import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { audit, listAudit, verifyAuditChain } from '../src/features/audit/audit.service.ts'
import type { Database } from '../src/store/database.ts'
import { type AuthTestApp, startAuthApp } from './support/auth-app.ts'
import { testDatabase } from './support/database.ts'
import { enrolledOfficer } from './support/officers.ts'

describe('the audit log', () => {
  let database: Database
  beforeEach(async () => {
    database = await testDatabase()
  })
  afterEach(() => database.close())

  async function appendSome(n: number) {
    for (let i = 1; i <= n; i++) {
      await audit(database.db, {
        time: 1_000 * i,
        action: i % 2 ? 'login' : 'login.failed',
        officer: i % 2 ? 'o_0000000000000000000000000a' : null,
        party: 'usa',
        details: { ip: `10.0.0.${i}`, attempt: i, ok: i % 2 === 1 },
      })
    }
  }

  it('chains each row to the one before by SHA-256 over its canonical JSON', async () => {
    await appendSome(4)
    const rows = await listAudit(database.db)
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4])
    let prev: string | null = null
    for (const row of rows) {
      const { hash, ...rest } = row
      expect(rest.prev).toBe(prev)
      const expected = createHash('sha256').update(canonicalize(rest)!).digest('hex')
      expect(hash).toBe(expected)
      prev = hash
    }
    expect(await verifyAuditChain(database.db)).toEqual({ ok: true, rows: 4, head: prev })
  })

  it('refuses UPDATE, DELETE and TRUNCATE through the database', async () => {
    await appendSome(2)
    for (const statement of [
      sql`update audit_log set action = 'nothing' where seq = 1`,
      sql`delete from audit_log where seq = 2`,
      sql`truncate audit_log`,
    ]) {
      await expect(statement.execute(database.db)).rejects.toThrow(/append-only/)
    }
  })

  describe('verification finds a row changed behind the node’s back', () => {
    // Whoever can disable triggers (the database owner) can rewrite rows; the chain shows it.
    const bypass = async (statement: ReturnType<typeof sql>) => {
      await sql`alter table audit_log disable trigger audit_log_append_only`.execute(database.db)
      await statement.execute(database.db)
      await sql`alter table audit_log enable trigger audit_log_append_only`.execute(database.db)
    }

    it('an edited row', async () => {
      await appendSome(5)
      await bypass(
        sql`update audit_log set details = '{"ip":"10.9.9.9","attempt":3,"ok":true}' where seq = 3`,
      )
      expect(await verifyAuditChain(database.db)).toEqual({
        ok: false,
        rows: 2,
        broken: { seq: 3, reason: 'hash-mismatch' },
      })
    })

    it('an edited row whose hash was recomputed', async () => {
      await appendSome(5)
      const [row] = await listAudit(database.db, { after: 2, limit: 1 })
      const forged = { ...row!, action: 'logout' }
      const { hash: _old, ...unhashed } = forged
      const hash = createHash('sha256').update(canonicalize(unhashed)!).digest('hex')
      await bypass(sql`update audit_log set action = 'logout', hash = ${hash} where seq = 3`)
      expect(await verifyAuditChain(database.db)).toEqual({
        ok: false,
        rows: 3,
        broken: { seq: 4, reason: 'prev-mismatch' },
      })
    })

    it('a deleted row', async () => {
      await appendSome(5)
      await bypass(sql`delete from audit_log where seq = 2`)
      expect(await verifyAuditChain(database.db, { pageSize: 2 })).toEqual({
        ok: false,
        rows: 1,
        broken: { seq: 3, reason: 'seq-gap' },
      })
    })
  })

  it('stays one gapless chain under concurrent appends', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        audit(database.db, {
          time: i,
          action: 'login',
          officer: null,
          party: null,
          details: { i },
        }),
      ),
    )
    const verdict = await verifyAuditChain(database.db, { pageSize: 7 })
    expect(verdict).toMatchObject({ ok: true, rows: 25 })
  })
})

describe('GET /api/v1/audit', () => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await startAuthApp()
  })
  afterAll(() => t.close())

  it('shows an admin their own party’s entries, a page at a time in both directions', async () => {
    const usa = await enrolledOfficer(t, 'usa-auditor', { roles: ['admin'] })
    const est = await enrolledOfficer(t, 'est-auditor', { roles: ['admin'], party: 'est' })
    const all = (await usa.browser.request('GET', '/audit?limit=500')).body.entries
    expect(all.length).toBeGreaterThan(2)
    expect(all.every((entry: { party: string }) => entry.party === 'usa')).toBe(true)
    expect(all.map((entry: { action: string }) => entry.action)).toEqual(
      expect.arrayContaining([
        'officer.create',
        'login',
        'factor.totp.enrol',
        'factor.recovery.issue',
      ]),
    )
    const estEntries = (await est.browser.request('GET', '/audit')).body.entries
    expect(estEntries.every((entry: { party: string }) => entry.party === 'est')).toBe(true)

    const first = (await usa.browser.request('GET', '/audit?from=oldest&limit=1')).body
    expect(first.entries).toEqual([all[0]])
    expect(first.cursors.before).toBeNull()
    const page = (await usa.browser.request('GET', `/audit?after=${first.cursors.after}&limit=1`))
      .body.entries
    expect(page).toEqual([all[1]])
    const newest = (await usa.browser.request('GET', '/audit?limit=1')).body
    expect(newest.entries).toEqual([all.at(-1)])
    const back = (
      await usa.browser.request('GET', `/audit?before=${newest.cursors.before}&limit=1`)
    ).body.entries
    expect(back).toEqual([all.at(-2)])
    // A timeline's cursor is not the audit log's.
    const foreign = Buffer.from(JSON.stringify(['timeline:ch_x', 1, 'usa', 1])).toString(
      'base64url',
    )
    const refused = await usa.browser.request('GET', `/audit?before=${foreign}`)
    expect(refused.status).toBe(400)
    expect(refused.body.error.code).toBe('PAGE_CURSOR_INVALID')
    const both = await usa.browser.request(
      'GET',
      `/audit?before=${newest.cursors.before}&after=${first.cursors.after}`,
    )
    expect(both.body.error.code).toBe('PAGE_CURSORS_CONFLICT')
  })

  it('refuses anonymous callers', async () => {
    const reply = await t.app.inject({ url: '/api/v1/audit' })
    expect(reply.statusCode).toBe(401)
    expect(reply.json().error.code).toBe('AUTH_REQUIRED')
  })
})
