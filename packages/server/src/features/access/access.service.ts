import type { Compartment, PageQuery } from '@parley/api'
import type { Kysely } from 'kysely'
import { ServerError } from '../../errors.ts'
import { channelOrder, channelRange } from '../../node/channels.repository.ts'
import { type Keyset, type Page, readPage } from '../../store/keyset.ts'
import type { DB } from '../../store/tables.ts'
import { audit } from '../audit/audit.service.ts'
import { findOfficer, type Role } from '../officers/officers.service.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'
import {
  type AccessRow,
  accessRange,
  accessRowOf,
  accessRows,
  deleteGrant,
  grantedChannels,
  hasGrant,
  insertGrant,
  takesPart,
} from './access.repository.ts'

/**
 * What a route needs from the officer calling it; every officer route declares one in its
 * config (`requires`), and the access hook enforces it before the handler runs.
 */
export interface Requirement {
  /** The least role: roles rank viewer < drafter < releaser < admin, each holding the ones below. */
  readonly role: Role
  /**
   * Where the route's channel id is (`params.channel`, `query.channel`), or a function that
   * finds it (a release item's channel). An absent optional query value asks nothing more.
   */
  readonly channel?: ChannelLocator
  /**
   * `compartment` (default): the officer must be on the channel's access list. `party`: the
   * officer's party must take part in the channel, for admins who manage the list itself.
   */
  readonly scope?: 'compartment' | 'party'
  /**
   * What to answer when the channel is outside the officer's compartments, for a route whose
   * channel is found from another resource (a release item): the answer that resource gives
   * when it does not exist, so that its ids cannot be probed.
   */
  readonly hidden?: (request: { readonly params: unknown }) => ServerError
}

export type ChannelLocator =
  | `params.${string}`
  | `query.${string}`
  | ((request: {
      readonly params: unknown
      readonly query: unknown
      readonly officer: RequestOfficer | null
    }) => Promise<string>)

/** Rank of each role: a higher one holds every right of the lower ones. */
const RANK: Readonly<Record<Role, number>> = { viewer: 0, drafter: 1, releaser: 2, admin: 3 }

/** Whether a set of roles reaches `required` (viewer < drafter < releaser < admin). */
export function hasRole(roles: readonly Role[], required: Role): boolean {
  return roles.some((role) => RANK[role] >= RANK[required])
}

type Listener = (officer: string | null) => void

/**
 * In-process news of access changes, so that open live streams stop (or start) showing a
 * channel at once instead of after their cache ages.
 */
class AccessWatch {
  readonly #listeners = new Set<Listener>()

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The officer whose access changed, or null when it may have changed for anyone. */
  changed(officer: string | null): void {
    for (const listener of this.#listeners) listener(officer)
  }
}

/** How long the request path trusts a remembered compartment check without a change notice. */
const GRANT_TTL = 2_000
/** Remembered checks at most; past it the memory starts afresh. */
const GRANT_CACHE_SIZE = 10_000

/**
 * The compartment checks of the request path, remembered: every officer request in a channel
 * asks one, and the database answer only changes through this process's access service,
 * which tells the watch. The short time-to-live bounds what a change made behind the node's
 * back (SQL by hand) could leave stale.
 */
class GrantCache {
  readonly #known = new Map<string, { granted: boolean; at: number }>()
  readonly #db: Kysely<DB>
  readonly #now: () => number

  constructor(db: Kysely<DB>, now: () => number, watch: AccessWatch) {
    this.#db = db
    this.#now = now
    watch.subscribe((officer) => {
      if (officer === null) this.#known.clear()
      else
        for (const key of this.#known.keys())
          if (key.startsWith(`${officer}\n`)) this.#known.delete(key)
    })
  }

  async granted(officer: string, channel: string): Promise<boolean> {
    const key = `${officer}\n${channel}`
    const hit = this.#known.get(key)
    const now = this.#now()
    if (hit !== undefined && now - hit.at < GRANT_TTL) return hit.granted
    const granted = await hasGrant(this.#db, channel, officer)
    if (this.#known.size >= GRANT_CACHE_SIZE) this.#known.clear()
    this.#known.set(key, { granted, at: now })
    return granted
  }
}

/** What access control needs: the database, the clock, the change news and the check cache. */
export interface AccessContext {
  readonly db: Kysely<DB>
  now(): number
  readonly watch: AccessWatch
  readonly grants: GrantCache
}

/** Access control over a node's database. */
export function accessContext(db: Kysely<DB>, now: () => number): AccessContext {
  const watch = new AccessWatch()
  return { db, now, watch, grants: new GrantCache(db, now, watch) }
}

/** Whether an officer may use a channel: in its compartment, or (`party` scope) in a party of it. */
export async function mayAccessChannel(
  ctx: Pick<AccessContext, 'db' | 'grants'>,
  officer: RequestOfficer,
  channel: string,
  scope: 'compartment' | 'party' = 'compartment',
): Promise<boolean> {
  // A token's officer too: no credential sees more than the officer's compartments.
  return scope === 'party'
    ? takesPart(ctx.db, channel, officer.party)
    : ctx.grants.granted(officer.id, channel)
}

/** Throws `CHANNEL_FORBIDDEN` unless the officer may use the channel. */
export async function assertChannelAccess(
  ctx: Pick<AccessContext, 'db' | 'grants'>,
  officer: RequestOfficer,
  channel: string,
  scope: 'compartment' | 'party' = 'compartment',
): Promise<void> {
  if (!(await mayAccessChannel(ctx, officer, channel, scope))) {
    throw new ServerError('CHANNEL_FORBIDDEN', { channel })
  }
}

/**
 * Keeps what an officer may see: items of channels outside their compartments go, items that
 * belong to no channel stay.
 */
export async function visibleTo<T>(
  db: Kysely<DB>,
  officer: RequestOfficer,
  items: readonly T[],
  channelOf: (item: T) => string | null,
): Promise<T[]> {
  const granted = new Set(await grantedChannels(db, officer.id))
  return items.filter((item) => {
    const channel = channelOf(item)
    return channel === null || granted.has(channel)
  })
}

/** The party an officer speaks for: their own. Naming another is `PARTY_FORBIDDEN`. */
export function actingAs(officer: RequestOfficer, as: string | undefined): string {
  if (as !== undefined && as !== officer.party) {
    throw new ServerError('PARTY_FORBIDDEN', { own: officer.party, party: as })
  }
  return officer.party
}

/** How long a live stream trusts what it learned about one channel before asking again. */
const RECHECK_AFTER = 5_000

/**
 * A live stream's view of an officer's compartments: asks the database once per channel,
 * then again after an access change or a few seconds (a grant revoked by the CLI, an officer
 * disabled). Call `close` when the stream ends.
 */
export function channelVisibility(
  ctx: AccessContext,
  officer: RequestOfficer,
): { visible(channel: string): Promise<boolean>; close(): void } {
  const known = new Map<string, { visible: boolean; at: number }>()
  const close = ctx.watch.subscribe((changed) => {
    if (changed === null || changed === officer.id) known.clear()
  })
  return {
    async visible(channel) {
      const hit = known.get(channel)
      if (hit !== undefined && ctx.now() - hit.at < RECHECK_AFTER) return hit.visible
      const visible = await stillAllowed(ctx.db, officer.id, channel)
      known.set(channel, { visible, at: ctx.now() })
      return visible
    },
    close,
  }
}

async function stillAllowed(db: Kysely<DB>, officer: string, channel: string): Promise<boolean> {
  const row = await db
    .selectFrom('channel_access')
    .innerJoin('officers', 'officers.id', 'channel_access.officer')
    .select('channel_access.officer')
    .where('channel_access.channel', '=', channel)
    .where('channel_access.officer', '=', officer)
    .where('officers.disabled_at', 'is', null)
    .executeTakeFirst()
  return row !== undefined
}

/** A channel's access list entry as the API shows it. */
export type AccessEntry = Omit<AccessRow, 'channel'>

/**
 * Puts the officer who opens a channel into its compartment. Runs before the genesis event
 * commits, so the creator's live stream shows it; a failed creation leaves a grant to a
 * channel id nobody holds, which shows nowhere.
 */
export async function grantCreator(
  ctx: AccessContext,
  officer: RequestOfficer,
  channel: string,
): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await insertGrant(trx, {
      channel,
      officer: officer.id,
      party: officer.party,
      grantedBy: null,
      grantedAt: ctx.now(),
    })
    await audit(trx, {
      time: ctx.now(),
      action: 'access.grant',
      officer: officer.id,
      party: officer.party,
      details: { channel, target: officer.id, reason: 'creator' },
    })
  })
  ctx.watch.changed(officer.id)
}

/** Withdraws a creator's grant when the channel could not be opened after all. */
export async function dropCreatorGrant(
  ctx: AccessContext,
  officer: RequestOfficer,
  channel: string,
): Promise<void> {
  await deleteGrant(ctx.db, channel, officer.id)
  ctx.watch.changed(officer.id)
}

/**
 * Adds an officer (id or username) of the actor's party to a channel's compartment. The
 * officer's party must take part in the channel; a disabled officer gets nothing. Audited.
 */
export async function grantAccess(
  ctx: AccessContext,
  actor: RequestOfficer,
  channel: string,
  ref: string,
): Promise<AccessEntry> {
  const now = ctx.now()
  const target = await ctx.db.transaction().execute(async (trx) => {
    const row = await findOfficer(trx, ref, actor.party)
    if (row.disabled_at !== null) {
      throw new ServerError('ACCESS_GRANT_INVALID', { reason: `${row.username} is disabled` })
    }
    if (!(await takesPart(trx, channel, row.party))) {
      throw new ServerError('ACCESS_GRANT_INVALID', {
        reason: `${row.party} takes no part in channel ${channel}`,
      })
    }
    const added = await insertGrant(trx, {
      channel,
      officer: row.id,
      party: row.party,
      grantedBy: actor.id,
      grantedAt: now,
    })
    if (added) {
      await audit(trx, {
        time: now,
        action: 'access.grant',
        officer: actor.id,
        party: row.party,
        details: { channel, target: row.id },
      })
    }
    return row
  })
  ctx.watch.changed(target.id)
  const { channel: _channel, ...entry } = (await accessRowOf(ctx.db, channel, target.id))!
  return entry
}

/** Takes an officer off a channel's access list; their live stream stops showing it at once. */
export async function revokeAccess(
  ctx: AccessContext,
  actor: RequestOfficer,
  channel: string,
  ref: string,
): Promise<void> {
  const now = ctx.now()
  const target = await ctx.db.transaction().execute(async (trx) => {
    const row = await findOfficer(trx, ref, actor.party)
    if (await deleteGrant(trx, channel, row.id)) {
      await audit(trx, {
        time: now,
        action: 'access.revoke',
        officer: actor.id,
        party: row.party,
        details: { channel, target: row.id },
      })
    }
    return row
  })
  ctx.watch.changed(target.id)
}

/**
 * A page of a channel's access list, the actor's party's officers on it, by username. A
 * cursor of another channel's list is refused.
 */
export async function accessList(
  ctx: AccessContext,
  actor: RequestOfficer,
  channel: string,
  query: PageQuery,
): Promise<Page<AccessEntry>> {
  const keyset: Keyset<AccessRow> = {
    scope: `access:${channel}`,
    columns: ['officers.username'],
    kinds: ['text'],
    key: (row) => [row.username],
  }
  const page = await readPage(keyset, query, (where, direction, limit) =>
    accessRange(ctx.db, { channel, party: actor.party, where, direction, limit }),
  )
  return {
    items: page.items.map(({ channel: _channel, ...rest }) => rest),
    cursors: page.cursors,
  }
}

/**
 * A page of the channels of the actor's party, in the order they were opened, each with its
 * whole access list (bounded by the party's officers), for admins: no content, no counts.
 */
export async function compartments(
  ctx: AccessContext,
  actor: RequestOfficer,
  hosted: readonly string[],
  query: PageQuery,
): Promise<Page<Compartment>> {
  const parties = hosted.filter((party) => party === actor.party)
  const page = await readPage(channelOrder('compartments'), query, (where, direction, limit) =>
    channelRange(ctx.db, { parties, where, direction, limit }),
  )
  const rows = await accessRows(
    ctx.db,
    page.items.map((channel) => channel.id),
    actor.party,
  )
  return {
    items: page.items.map((channel) => ({
      channel: channel.id,
      title: channel.title,
      officers: rows
        .filter((row) => row.channel === channel.id)
        .map(({ channel: _channel, ...rest }) => rest),
    })),
    cursors: page.cursors,
  }
}
