import { canonicalJson } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import type { NodeContext } from '../../node/context.ts'
import type { ComposeRule, Item } from '../compose/compose.service.ts'
import { officerById } from '../officers/officers.service.ts'
import { latestOf } from './directory.repository.ts'

interface DirectoryBody {
  readonly version: number
  readonly contacts: readonly { readonly timeZone: string }[]
}

/**
 * What a directory update must be, beyond its schema, before it is signed or queued (and again
 * at approval): composed by an admin of the party it speaks for (in a session or through
 * their API token); every time zone one this node's tz database knows; and the next version, or
 * the current one restated word for word (the same update posted into another channel).
 */
export const directoryRule: ComposeRule = {
  types: ['directory.update'],
  async check(node: NodeContext, item: Item): Promise<void> {
    // An API token composes as its officer: an admin's token passes, any other does not.
    const officer = await officerById(node.db, item.drafter)
    const roles = (officer?.roles ?? []) as readonly string[]
    if (officer === undefined || officer.party !== item.party || !roles.includes('admin')) {
      throw new ServerError('DIRECTORY_ADMIN_ONLY', { party: item.party })
    }
    const body = item.body as unknown as DirectoryBody
    for (const [index, contact] of body.contacts.entries()) {
      if (!knownTimeZone(contact.timeZone)) {
        throw new ServerError('DIRECTORY_TIME_ZONE_UNKNOWN', {
          timeZone: contact.timeZone,
          path: `/body/contacts/${index}/timeZone`,
        })
      }
    }
    const current = await latestOf(node.db, item.party)
    const version = current?.version ?? 0
    const restated =
      current !== undefined &&
      body.version === version &&
      canonicalJson(current.contacts) === canonicalJson(body.contacts)
    if (body.version !== version + 1 && !restated) {
      throw new ServerError('DIRECTORY_VERSION_CONFLICT', {
        party: item.party,
        version: body.version,
        current: version,
      })
    }
  },
}

function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return true
  } catch {
    return false
  }
}
