import type { DirectoryEntry, ReleaseView } from '@parley/api'
import type { BodyOf } from '@parley/protocol'
import type { Kysely } from 'kysely'
import { ServerError } from '../../errors.ts'
import { listChannels } from '../../node/channels.repository.ts'
import type { DB } from '../../store/tables.ts'
import { type ComposeContext, compose } from '../compose/compose.service.ts'
import type { RequestOfficer } from '../sessions/session-auth.ts'
import { type DirectoryRow, latestOf, latestOfAll, versionsOf } from './directory.repository.ts'

type Contacts = BodyOf<'directory.update'>['contacts']

function entryOf(row: DirectoryRow): DirectoryEntry {
  return {
    party: row.party,
    version: row.version,
    contacts: row.contacts as unknown as Contacts,
    event: row.event,
    channel: row.channel,
    officer: row.officer,
    time: row.time,
  }
}

/** Every party's current entry this node holds (its own and its peers'). */
export async function directory(db: Kysely<DB>): Promise<DirectoryEntry[]> {
  return (await latestOfAll(db)).map(entryOf)
}

/** One party's current entry and its history; `NOT_FOUND` when the node holds none. */
export async function directoryEntry(db: Kysely<DB>, party: string) {
  const history = (await versionsOf(db, party)).map(entryOf)
  if (history.length === 0)
    throw new ServerError('NOT_FOUND', { what: `A directory entry of ${party}` })
  return { party, current: history.at(-1) ?? null, history }
}

/**
 * Publishes a hosted party's whole entry as its next version: one signed `directory.update`
 * into every active channel the party has joined as a member, so every party that shares a
 * channel with it holds the same entry and its history. Each goes through compose (its rules,
 * the release floor and each channel's policy): some may wait for a releaser.
 */
export async function updateDirectory(
  ctx: ComposeContext,
  officer: RequestOfficer,
  party: string,
  contacts: Contacts,
): Promise<{ version: number; events: string[]; releases: ReleaseView[] }> {
  const { db } = ctx.node
  const version = ((await latestOf(db, party))?.version ?? 0) + 1
  const channels = (await listChannels(db, [party])).filter(
    (channel) =>
      channel.status === 'active' &&
      channel.members.some((m) => m.party === party && m.role === 'member' && m.joined),
  )
  if (channels.length === 0) throw new ServerError('DIRECTORY_NO_CHANNEL', { party })
  const events: string[] = []
  const releases: ReleaseView[] = []
  // Oldest channel first, so the version a reindex keeps is the one in the oldest channel.
  for (const channel of [...channels].reverse()) {
    const composed = await compose(ctx, officer, {
      channel: channel.id,
      type: 'directory.update',
      body: { version, contacts },
      as: party,
    })
    if (composed.status === 'released') events.push(composed.event.id)
    else releases.push(composed.release)
  }
  return { version, events, releases }
}
