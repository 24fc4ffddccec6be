import type { BodyOf } from '@parley/protocol'

// The story of SCENARIO.md as data: who takes part, what they write and when. `parley demo`
// seeds it, and the server's end-to-end test (packages/server/test/scenario.test.ts) plays it
// step by step, so the demo and the test tell one story.

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** The nodes of the federation: one per party, and the allies hosted together on one node. */
export const STORY_NODES = [
  { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
  { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
  { node: 'osce', parties: [{ id: 'osce', name: 'OSCE Secretariat' }] },
  {
    node: 'allies',
    parties: [
      { id: 'est', name: 'Estonia' },
      { id: 'jpn', name: 'Japan' },
    ],
  },
] as const

export type StoryNodeName = (typeof STORY_NODES)[number]['node']

/** An officer of the story (DESIGN §6 roles: viewer < drafter < releaser < admin). */
export interface StoryOfficer {
  readonly node: StoryNodeName
  readonly party: string
  readonly username: string
  readonly displayName: string
  readonly roles: readonly ('viewer' | 'drafter' | 'releaser' | 'admin')[]
  /** What they do in the story. */
  readonly duty: string
  /** Where the escalation ladder mails them when they are on duty. */
  readonly email?: string
}

/** The officers of SCENARIO.md; osce's and the allies' are not named there and invented here. */
export const OFFICERS = {
  alice: {
    node: 'usa',
    party: 'usa',
    username: 'alice',
    displayName: 'Alice Moreno',
    roles: ['drafter'],
    duty: 'duty officer: drafts notices, replies and text',
  },
  ben: {
    node: 'usa',
    party: 'usa',
    username: 'ben',
    displayName: 'Ben Okafor',
    roles: ['releaser'],
    duty: 'releaser: approves what Alice drafts (two-person rule)',
  },
  carla: {
    node: 'usa',
    party: 'usa',
    username: 'carla',
    displayName: 'Carla Singh',
    roles: ['admin'],
    duty: 'admin: officers and compartments',
  },
  dan: {
    node: 'usa',
    party: 'usa',
    username: 'dan',
    displayName: 'Dan Reyes',
    roles: ['viewer'],
    duty: 'viewer, law enforcement: outside the working group’s compartment',
  },
  irina: {
    node: 'rus',
    party: 'rus',
    username: 'irina',
    displayName: 'Irina Volkova',
    email: 'irina@cert.rus.example',
    roles: ['drafter'],
    duty: 'duty officer: acknowledges, replies, drafts',
  },
  pavel: {
    node: 'rus',
    party: 'rus',
    username: 'pavel',
    displayName: 'Pavel Sokolov',
    email: 'pavel@cert.rus.example',
    roles: ['releaser'],
    duty: 'releaser',
  },
  oleg: {
    node: 'rus',
    party: 'rus',
    username: 'oleg',
    displayName: 'Oleg Lebedev',
    roles: ['admin'],
    duty: 'admin',
  },
  sofia: {
    node: 'osce',
    party: 'osce',
    username: 'sofia',
    displayName: 'Sofia Marin',
    roles: ['drafter'],
    duty: 'rapporteur: proposes compromise text',
  },
  lukas: {
    node: 'osce',
    party: 'osce',
    username: 'lukas',
    displayName: 'Lukas Weber',
    roles: ['admin'],
    duty: 'admin and releaser',
  },
  kadri: {
    node: 'allies',
    party: 'est',
    username: 'kadri',
    displayName: 'Kadri Tamm',
    roles: ['admin'],
    duty: 'Estonia’s point of contact',
  },
  haruto: {
    node: 'allies',
    party: 'jpn',
    username: 'haruto',
    displayName: 'Haruto Sato',
    roles: ['admin'],
    duty: 'Japan’s point of contact',
  },
} as const satisfies Record<string, StoryOfficer>

export type OfficerName = keyof typeof OFFICERS

/** When each scene takes place on the story's day; `day` is that day's midnight, UTC. */
export function sceneTimes(day: number) {
  const at = (hours: number, minutes: number) => day + hours * HOUR + minutes * MINUTE
  return {
    scanFrom: at(1, 52),
    scanUntil: at(2, 9),
    notice: at(2, 14),
    /** Irina acknowledges this long after rus's node receipted the notice. */
    ackAfter: 17 * MINUTE,
    interimReply: at(3, 5),
    translation: at(3, 12),
    finalReply: at(4, 10),
    pastedSecret: at(4, 30),
    redLines: at(5, 0),
    usaAlternative: at(5, 20),
    compromise: at(5, 45),
    accept: at(6, 10),
    adopt: at(6, 20),
    forward: at(7, 30),
    rusOffline: at(9, 12),
    rusBack: at(9, 22),
    /** The weekly ping test (the story's day is a Monday); Irina answers it this much later. */
    ping: at(10, 0),
    pingAnswerAfter: 4 * MINUTE,
  }
}

export type SceneTimes = ReturnType<typeof sceneTimes>

/**
 * The node's default release floor (`release.twoPersonRule` in parley.json): these always
 * wait for a second officer, and a channel's policy must name every one of them.
 */
export const RELEASE_FLOOR = [
  'notice.open',
  'notice.reply',
  'notice.close',
  'redline.declare',
  'redline.revise',
  'redline.withdraw',
  'draft.adopt',
  'compliance.report',
  'forward',
] as const

/** The policy of SCENARIO.md: en and ru; flash in 15 min, routine in 24 h; two-person rule. */
export const WORKING_GROUP_POLICY = {
  languages: ['en', 'ru'],
  ackWithin: { routine: 24 * HOUR, priority: 4 * HOUR, flash: 15 * MINUTE },
  respondWithin: 72 * HOUR,
  rapporteur: 'osce',
  release: {
    // The floor, and the working group's drafts too.
    twoPersonRule: [...RELEASE_FLOOR, 'draft.create', 'draft.propose'],
    flashExempt: false,
  },
} satisfies NonNullable<BodyOf<'channel.create'>['policy']>

export function workingGroup(): BodyOf<'channel.create'> {
  return {
    title: 'US–Russia ICT Security Working Group',
    members: ['usa', 'rus'],
    observers: ['osce'],
    policy: WORKING_GROUP_POLICY,
  }
}

/** Where usa forwards what it chooses; forwards leave only with a releaser's approval. */
export function alliesChannel(): BodyOf<'channel.create'> {
  return {
    title: 'US–Allies consultation',
    members: ['usa', 'est', 'jpn'],
    observers: [],
    policy: {
      languages: ['en'],
      ackWithin: { routine: 24 * HOUR, priority: 4 * HOUR, flash: HOUR },
      respondWithin: 72 * HOUR,
      release: { twoPersonRule: [...RELEASE_FLOOR], flashExempt: false },
    },
  }
}

/** Step 1: usa's CERT saw election infrastructure scanned; the indicators are TLP:AMBER. */
export function incidentNotice(times: SceneTimes): BodyOf<'notice.open'> {
  return {
    kind: 'clarification',
    subject: 'Scanning of election infrastructure from addresses announced in Russia',
    lang: 'en',
    urgency: 'routine',
    tlp: 'green',
    summary:
      'The US national CERT observed systematic scanning of state election infrastructure from addresses announced by an autonomous system registered in the Russian Federation.',
    sectors: ['government-facilities', 'election-infrastructure'],
    severity: 3,
    observedActivity: {
      description:
        'Port scans and login attempts against voter-registration portals and election-night reporting servers in three states.',
      from: times.scanFrom,
      until: times.scanUntil,
    },
    requestedAction: 'Identify and stop the activity, or clarify its nature.',
    // Documentation ranges (RFC 5398, RFC 5737): the story's indicators point nowhere real.
    indicators: [
      { type: 'asn', value: 'AS64500', tlp: 'amber' },
      { type: 'cidr', value: '198.51.100.0/24', tlp: 'amber' },
      { type: 'ipv4', value: '203.0.113.17', tlp: 'amber' },
    ],
    pointsOfContact: [
      {
        name: 'US national CERT duty desk',
        party: 'usa',
        email: 'duty@cert.usa.example',
        languages: ['en'],
        hours: '24/7',
      },
    ],
  }
}

/** Step 3: rus's interim answer, in Russian. */
export function interimReply(notice: string): BodyOf<'notice.reply'> {
  return {
    notice,
    lang: 'ru',
    tlp: 'green',
    text: 'Уведомление получено. Национальный CERT проверяет указанную активность. По предварительным данным, она не связана с государственными органами Российской Федерации. Окончательный ответ будет направлен в течение 72 часов.',
  }
}

/** Step 3: Alice's English translation of the interim answer (non-authoritative). */
export function interimTranslation(of: string): BodyOf<'message.translate'> {
  return {
    of,
    lang: 'en',
    text: 'Notice received. The national CERT is examining the activity described. Preliminary findings indicate that it is not connected with state bodies of the Russian Federation. A final answer will follow within 72 hours.',
  }
}

/** Step 3: rus's final answer. */
export function finalReply(notice: string): BodyOf<'notice.reply'> {
  return {
    notice,
    lang: 'ru',
    tlp: 'green',
    final: true,
    text: 'Сканирование велось с арендованных серверов хостинг-провайдера, анонсирующего AS64500, по заказу коммерческой компании, исследующей уязвимости. Провайдер прекратил обслуживание этих серверов в 03:40 UTC. Просим сообщить, если активность возобновится.',
  }
}

export function finalTranslation(of: string): BodyOf<'message.translate'> {
  return {
    of,
    lang: 'en',
    text: 'The scanning came from servers rented from a hosting provider that announces AS64500, on behalf of a commercial company doing vulnerability research. The provider stopped serving those servers at 03:40 UTC. Please tell us if the activity resumes.',
  }
}

/** Step 4: the classification banner that must never leave usa. */
export const PASTED_MARKING = 'SECRET//NOFORN'

/** Step 4: Alice's reply with a classified paragraph pasted into it; the release guard blocks it. */
export function replyWithPastedSecret(notice: string): BodyOf<'notice.reply'> {
  return {
    notice,
    lang: 'en',
    tlp: 'green',
    text: `Thank you for the clarification. We note the following:\n\n${PASTED_MARKING} The scanning servers overlap with infrastructure used in earlier operations attributed to a state actor.`,
  }
}

/** Step 5: rus declares its red line. */
export function redLine(): BodyOf<'redline.declare'> {
  return {
    sectors: ['financial-services', 'energy'],
    title: 'Attacks on the financial sector and energy grids',
    text: 'The Russian Federation would regard ICT activity that disrupts payment systems, exchanges or the control systems of electricity grids as an attack on its critical infrastructure.',
    threshold: 'Disruption of service to the public, or damage to control systems.',
    tlp: 'green',
    lang: 'en',
  }
}

/** Step 5: the negotiated paragraphs; p1 is bracketed until both parties accept one wording. */
export const DRAFT_TEXT = {
  title: 'Joint statement on ICT activity against the financial sector and energy grids',
  p1: {
    rus: 'The Parties shall not conduct or knowingly support ICT activity against the financial sector or the energy grids of the other Party.',
    usa: 'The Parties shall not conduct or knowingly support ICT activity that intentionally damages critical infrastructure providing financial services or electricity to the public, or otherwise impairs its use and operation.',
    osce: 'The Parties shall not conduct or knowingly support ICT activity that intentionally damages or impairs the operation of financial market infrastructure or electricity grids serving the public.',
  },
  p2: 'Either Party may raise a suspected breach of paragraph 1 in this working group; the other Party shall acknowledge it within 24 hours and respond within 72 hours.',
} as const

/** rus's draft: its wording of the red line (p1.a) and a consultation clause (p2). */
export function draftText(): BodyOf<'draft.create'> {
  return {
    title: DRAFT_TEXT.title,
    lang: 'en',
    paragraphs: [
      { id: 'p1', alternatives: [{ id: 'p1.a', text: DRAFT_TEXT.p1.rus, proposedBy: 'rus' }] },
      { id: 'p2', alternatives: [{ id: 'p2.a', text: DRAFT_TEXT.p2, proposedBy: 'rus' }] },
    ],
  }
}

/** usa's alternative wording of p1: now p1 stands in brackets. */
export function usaAlternative(draft: string): BodyOf<'draft.propose'> {
  return {
    draft,
    paragraphs: [
      { id: 'p1', alternatives: [{ id: 'p1.b', text: DRAFT_TEXT.p1.usa, proposedBy: 'usa' }] },
    ],
    note: '“Intentionally” and “to the public” keep the commitment verifiable.',
  }
}

/** The rapporteur's compromise. */
export function compromise(draft: string): BodyOf<'draft.propose'> {
  return {
    draft,
    paragraphs: [
      { id: 'p1', alternatives: [{ id: 'p1.c', text: DRAFT_TEXT.p1.osce, proposedBy: 'osce' }] },
    ],
    note: 'Rapporteur’s compromise: the scope of p1.a with the intent threshold of p1.b.',
  }
}

/** What both parties accept: the compromise for p1, and p2 as drafted. */
export const ACCEPTED = [
  { paragraph: 'p1', alternative: 'p1.c', text: DRAFT_TEXT.p1.osce },
  { paragraph: 'p2', alternative: 'p2.a', text: DRAFT_TEXT.p2 },
] as const

export function acceptance(draft: string): BodyOf<'draft.accept'> {
  return {
    draft,
    choices: ACCEPTED.map(({ paragraph, alternative }) => ({ paragraph, alternative })),
  }
}

/** The adopted text in document order, as `draftContentHash` takes it. */
export function adoptedText(): { paragraph: string; text: string }[] {
  return ACCEPTED.map(({ paragraph, text }) => ({ paragraph, text }))
}

/** Step 6: usa's words around what it forwards; the notice's indicators stay behind. */
export function forwardNote(notice: string, ackMinutes: number): string {
  return [
    'For your information (TLP:GREEN).',
    `1. Our clarification notice ${notice} on scanning of election infrastructure (severity 3) was acknowledged by the Russian Federation ${ackMinutes} min after delivery; its acknowledgment, signed by rus, is attached. The notice's TLP:AMBER indicators are not shared here.`,
    '2. The joint statement on ICT activity against the financial sector and energy grids, as drafted, accepted and adopted by both parties, with their signatures.',
  ].join('\n')
}

/** Step 7: what usa keeps sending while rus's node is away. */
export const WHILE_RUS_IS_AWAY = [
  'Proposed agenda for the next plenary: 1. implementation of the joint statement; 2. points of contact.',
  'We propose a ping test of both duty desks every Monday at 10:00 UTC.',
  'Our delegation list for the plenary follows by separate message.',
] as const
