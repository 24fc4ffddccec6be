import { type AgreedParagraph, type BodyOf, draftContentHash } from '@parley/protocol'

/** A draft event as the state reads it: its author's chain position orders it, not arrival. */
export interface DraftEventFacts {
  readonly id: string
  readonly author: string
  readonly seq: number
  readonly time: number
  readonly type: 'draft.propose' | 'draft.accept' | 'draft.adopt'
  readonly body: BodyOf<'draft.propose'> | BodyOf<'draft.accept'> | BodyOf<'draft.adopt'>
}

/** The draft.create that starts a draft. */
export interface DraftGenesis {
  readonly id: string
  readonly author: string
  readonly time: number
  readonly body: BodyOf<'draft.create'>
}

/** Who decides: the members; the rapporteur proposes and records status, never decides. */
export interface DraftParties {
  readonly members: readonly string[]
  readonly rapporteur?: string | undefined
}

export type ParagraphStatus = 'open' | 'agreed-ad-ref' | 'agreed'

export interface AlternativeState {
  readonly id: string
  readonly text: string
  /** The party whose signed event proposed it. */
  readonly owner: string
  readonly event: string
  readonly alternativeTo?: string
  readonly deletes?: true
  readonly translations?: Readonly<Record<string, string>>
  readonly withdrawn: boolean
  /** Members whose latest choice for the paragraph is this alternative. */
  readonly acceptedBy: readonly string[]
}

export interface ParagraphState {
  /** Stable id (Akoma Ntoso eId): never changes when paragraphs are inserted or deleted. */
  readonly eId: string
  /** Its number in the text as it stands; null once its deletion is agreed. */
  readonly num: number | null
  readonly status: ParagraphStatus
  /** The alternative every member accepted, once it is agreed ad ref. */
  readonly agreed: string | null
  readonly alternatives: readonly AlternativeState[]
}

export interface PackageState {
  readonly id: string
  readonly paragraphs: readonly string[]
  readonly agreed: boolean
}

export interface AdoptionState {
  readonly version: number
  readonly contentHash: string
  readonly text: readonly AgreedParagraph[]
  /** Each member's first adopt of this version's hash, in member order. */
  readonly adopters: readonly { party: string; event: string; time: number }[]
  readonly adoptedAt: number
}

export interface DraftState {
  readonly draft: string
  readonly title: string
  readonly lang: string
  readonly creator: string
  /** The version open for proposals and acceptances: the first one not adopted. */
  readonly version: number
  readonly paragraphs: readonly ParagraphState[]
  readonly packages: readonly PackageState[]
  /** The open version's whole text and its hash, once every paragraph is agreed. */
  readonly text: readonly AgreedParagraph[] | null
  readonly contentHash: string | null
  /** Members who adopted the open version's current hash (an older hash is not counted). */
  readonly adoptedBy: readonly string[]
  readonly adopted: readonly AdoptionState[]
}

const versionOf = (body: { version?: number | undefined }) => body.version ?? 1

/**
 * What a draft's events add up to. It reads the set of events, never the order they arrived
 * in: a member's choices are ordered by its own chain (seq), everything else is a union, and
 * ties are broken by (author, seq). So every node that holds the same events computes the same
 * state, whatever order federation delivered them in.
 */
export async function draftState(
  genesis: DraftGenesis,
  events: readonly DraftEventFacts[],
  parties: DraftParties,
): Promise<DraftState> {
  // Signed times order proposals for display; (author, seq) breaks ties, so the order is the
  // same on every node. A member's own choices follow its chain, whatever the times say.
  const sorted = [...events].sort(
    (a, b) =>
      a.time - b.time || (a.author < b.author ? -1 : a.author > b.author ? 1 : 0) || a.seq - b.seq,
  )
  const deciders = parties.members.filter((party) => party !== parties.rapporteur)
  const adopted: AdoptionState[] = []
  for (let version = 1; ; version++) {
    const open = await versionState(genesis, sorted, deciders, version)
    const adopters = adoptersOf(sorted, deciders, version, open.contentHash)
    const complete = open.contentHash !== null && open.text !== null
    if (complete && deciders.length > 0 && adopters.length === deciders.length) {
      adopted.push({
        version,
        contentHash: open.contentHash!,
        text: open.text!,
        adopters,
        adoptedAt: Math.max(...adopters.map((adopter) => adopter.time)),
      })
      // No adopt names a version past the highest any event names, so this ends.
      continue
    }
    return {
      draft: genesis.id,
      title: genesis.body.title,
      lang: genesis.body.lang,
      creator: genesis.author,
      version,
      ...open,
      adoptedBy: adopters.map((adopter) => adopter.party),
      adopted,
    }
  }
}

function adoptersOf(
  sorted: readonly DraftEventFacts[],
  deciders: readonly string[],
  version: number,
  contentHash: string | null,
): { party: string; event: string; time: number }[] {
  if (contentHash === null) return []
  const out: { party: string; event: string; time: number }[] = []
  for (const party of deciders) {
    const first = sorted.find(
      (event) =>
        event.author === party &&
        event.type === 'draft.adopt' &&
        versionOf(event.body) === version &&
        (event.body as BodyOf<'draft.adopt'>).contentHash === contentHash,
    )
    if (first !== undefined) out.push({ party, event: first.id, time: first.time })
  }
  return out
}

interface MutableAlternative {
  id: string
  text: string
  owner: string
  event: string
  alternativeTo?: string
  deletes?: true
  translations?: Record<string, string>
}

async function versionState(
  genesis: DraftGenesis,
  sorted: readonly DraftEventFacts[],
  deciders: readonly string[],
  version: number,
): Promise<Pick<DraftState, 'paragraphs' | 'packages' | 'text' | 'contentHash'>> {
  const inScope = sorted.filter((event) => versionOf(event.body) <= version)
  const order: string[] = []
  const alternatives = new Map<string, MutableAlternative[]>()
  const packages = new Map<string, string[]>()
  const add = (
    paragraph: BodyOf<'draft.create'>['paragraphs'][number],
    owner: string,
    event: string,
  ) => {
    let list = alternatives.get(paragraph.id)
    if (list === undefined) {
      list = []
      alternatives.set(paragraph.id, list)
      if (paragraph.after === null) order.unshift(paragraph.id)
      else if (paragraph.after !== undefined && order.includes(paragraph.after)) {
        order.splice(order.indexOf(paragraph.after) + 1, 0, paragraph.id)
      } else order.push(paragraph.id)
    }
    for (const alternative of paragraph.alternatives) {
      if (list.some((known) => known.id === alternative.id)) continue
      list.push({
        id: alternative.id,
        text: alternative.text,
        owner,
        event,
        ...(alternative.alternativeTo === undefined
          ? {}
          : { alternativeTo: alternative.alternativeTo }),
        ...(alternative.deletes === undefined ? {} : { deletes: alternative.deletes }),
        ...(alternative.translations === undefined
          ? {}
          : { translations: { ...alternative.translations } }),
      })
    }
  }
  const addPackages = (list: BodyOf<'draft.create'>['packages']) => {
    for (const pkg of list ?? []) if (!packages.has(pkg.id)) packages.set(pkg.id, pkg.paragraphs)
  }
  for (const paragraph of genesis.body.paragraphs) add(paragraph, genesis.author, genesis.id)
  addPackages(genesis.body.packages)
  const withdrawn = new Set<string>()
  for (const event of inScope) {
    if (event.type !== 'draft.propose') continue
    const body = event.body as BodyOf<'draft.propose'>
    for (const paragraph of body.paragraphs ?? []) add(paragraph, event.author, event.id)
    addPackages(body.packages)
    for (const id of body.withdraw ?? []) withdrawn.add(`${event.author}\u0000${id}`)
  }
  const isWithdrawn = (alternative: MutableAlternative) =>
    withdrawn.has(`${alternative.owner}\u0000${alternative.id}`)

  // Each member's latest choice per paragraph, by its own chain.
  const choice = new Map<string, Map<string, string>>()
  const byChain = [...inScope].sort((a, b) =>
    a.author < b.author ? -1 : a.author > b.author ? 1 : a.seq - b.seq,
  )
  for (const event of byChain) {
    if (event.type !== 'draft.accept' || !deciders.includes(event.author)) continue
    for (const { paragraph, alternative } of (event.body as BodyOf<'draft.accept'>).choices) {
      const byParty = choice.get(paragraph) ?? new Map<string, string>()
      byParty.set(event.author, alternative)
      choice.set(paragraph, byParty)
    }
  }

  const adRef = new Map<string, string | null>()
  for (const eId of order) {
    const live = alternatives.get(eId)!.filter((alternative) => !isWithdrawn(alternative))
    const chosen = deciders.map((party) => choice.get(eId)?.get(party))
    const first = chosen[0]
    const agreed =
      deciders.length > 0 &&
      first !== undefined &&
      chosen.every((alternative) => alternative === first) &&
      live.some((alternative) => alternative.id === first)
        ? first
        : null
    adRef.set(eId, agreed)
  }
  const packageStates: PackageState[] = [...packages.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, members]) => ({
      id,
      paragraphs: members,
      agreed: members.every((eId) => (adRef.get(eId) ?? null) !== null),
    }))

  let num = 0
  const paragraphs: ParagraphState[] = order.map((eId) => {
    const agreed = adRef.get(eId) ?? null
    const inPackages = packageStates.filter((pkg) => pkg.paragraphs.includes(eId))
    const status: ParagraphStatus =
      agreed === null ? 'open' : inPackages.every((pkg) => pkg.agreed) ? 'agreed' : 'agreed-ad-ref'
    const list = alternatives.get(eId)!
    const deleted = agreed !== null && list.find((a) => a.id === agreed)?.deletes === true
    return {
      eId,
      num: deleted ? null : ++num,
      status,
      agreed,
      alternatives: list.map((alternative) => ({
        ...alternative,
        withdrawn: isWithdrawn(alternative),
        acceptedBy: deciders.filter((party) => choice.get(eId)?.get(party) === alternative.id),
      })),
    }
  })

  if (paragraphs.some((paragraph) => paragraph.status !== 'agreed')) {
    return { paragraphs, packages: packageStates, text: null, contentHash: null }
  }
  const text: AgreedParagraph[] = []
  for (const paragraph of paragraphs) {
    const agreed = paragraph.alternatives.find((a) => a.id === paragraph.agreed)!
    if (agreed.deletes === true) continue
    text.push({
      paragraph: paragraph.eId,
      text: agreed.text,
      ...(agreed.translations === undefined ? {} : { translations: agreed.translations }),
    })
  }
  return { paragraphs, packages: packageStates, text, contentHash: await draftContentHash(text) }
}
