import { COMPOSABLE_TYPES } from '@parley/api'
import type { BodyOf } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import { knownChannel } from '../../node/channels.ts'
import type { NodeContext } from '../../node/context.ts'
import type { ComposeRule, Item } from '../compose/compose.service.ts'
import { draftStateOrThrow } from './drafts.service.ts'

/** Who the item's party is in its channel: member, observer, the rapporteur. */
async function roleOf(node: NodeContext, item: Item) {
  // The cached row compose just read: one more query per post would slow every message.
  const channel = await knownChannel(node, item.channel)
  const role = channel?.members.find((member) => member.party === item.party)?.role
  const rapporteur = (channel?.policy as { rapporteur?: string } | undefined)?.rapporteur
  return { observer: role === 'observer', rapporteur: rapporteur === item.party }
}

/**
 * Observers read and cannot post; the one exception is the rapporteur's draft.propose. The
 * rapporteur (member or observer) proposes text and records status: it never accepts or adopts.
 */
export const participationRule: ComposeRule = {
  // Every type an officer composes, so a new one is refused to observers too; but the
  // directory, which a party restates in every channel it has joined, observer or not.
  types: COMPOSABLE_TYPES.filter((type) => type !== 'directory.update'),
  async check(node, item) {
    const { observer, rapporteur } = await roleOf(node, item)
    if (rapporteur && (item.type === 'draft.accept' || item.type === 'draft.adopt')) {
      throw new ServerError('RAPPORTEUR_CANNOT_DECIDE', { party: item.party, type: item.type })
    }
    if (observer && !(rapporteur && item.type === 'draft.propose')) {
      throw new ServerError('OBSERVER_CANNOT_POST', {
        party: item.party,
        channel: item.channel,
        type: item.type,
      })
    }
  },
}

/**
 * The draft rules: an item names the open version; an acceptance names paragraphs and
 * alternatives that exist and stand; a withdrawal names the party's own alternatives; an
 * adoption names the hash of the open version's whole agreed text.
 */
export const draftRule: ComposeRule = {
  types: ['draft.propose', 'draft.accept', 'draft.adopt'],
  async check(node, item) {
    const body = item.body as
      | BodyOf<'draft.propose'>
      | BodyOf<'draft.accept'>
      | BodyOf<'draft.adopt'>
    const state = await draftStateOrThrow(node.db, item.channel, body.draft)
    const version = body.version ?? 1
    if (version !== state.version) {
      throw new ServerError('DRAFT_VERSION_CLOSED', {
        draft: body.draft,
        version,
        open: state.version,
      })
    }
    if (item.type === 'draft.propose') {
      const { withdraw = [] } = body as BodyOf<'draft.propose'>
      for (const id of withdraw) {
        const own = state.paragraphs.some((p) =>
          p.alternatives.some((a) => a.id === id && a.owner === item.party && !a.withdrawn),
        )
        if (!own) {
          throw new ServerError('DRAFT_ALTERNATIVE_NOT_OWN', {
            draft: body.draft,
            alternative: id,
            party: item.party,
          })
        }
      }
      return
    }
    if (item.type === 'draft.accept') {
      for (const choice of (body as BodyOf<'draft.accept'>).choices) {
        const paragraph = state.paragraphs.find((p) => p.eId === choice.paragraph)
        if (paragraph === undefined) {
          throw new ServerError('DRAFT_CHOICE_UNKNOWN', {
            draft: body.draft,
            what: 'paragraph',
            id: choice.paragraph,
            reason: 'no such paragraph',
          })
        }
        const alternative = paragraph.alternatives.find((a) => a.id === choice.alternative)
        if (alternative === undefined || alternative.withdrawn) {
          throw new ServerError('DRAFT_CHOICE_UNKNOWN', {
            draft: body.draft,
            what: 'alternative',
            id: choice.alternative,
            reason:
              alternative === undefined
                ? `paragraph ${choice.paragraph} has no such alternative`
                : 'its proposer withdrew it',
          })
        }
      }
      return
    }
    const { contentHash } = body as BodyOf<'draft.adopt'>
    if (state.contentHash !== contentHash) {
      throw new ServerError('DRAFT_HASH_STALE', {
        draft: body.draft,
        version,
        contentHash,
        reason:
          state.contentHash === null
            ? 'not every paragraph is agreed yet'
            : `the text as it stands hashes to ${state.contentHash}`,
      })
    }
  },
}
