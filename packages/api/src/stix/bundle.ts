import type { EventOf } from '@parley/protocol'
import { v5 as uuidv5 } from 'uuid'
import { label, labelLanguageOf } from '../labels/index.ts'

// A STIX 2.1 bundle of one incident notice (docs/stix.md). Pure and isomorphic, so the node's
// route, `parley export stix` (offline, from a transcript) and the console build the very same
// bundle from the same signed event.

type NoticeOpen = EventOf<'notice.open'>
type Tlp = NoticeOpen['body']['tlp']
type Indicator = NonNullable<NoticeOpen['body']['indicators']>[number]

/** The Incident Core Extension (oasis-open/cti-stix-common-objects, incident-core). */
export const INCIDENT_CORE_EXTENSION = 'extension-definition--ef765651-680c-498d-9894-99799f2fa126'
/** The TLP 2.0 extension that the TLP 2.0 marking definitions carry. */
export const TLP_2_0_EXTENSION = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d'

/** The published TLP 2.0 marking-definition ids (not TLP 1.0's). */
export const TLP_MARKING_IDS: Readonly<Record<Tlp, string>> = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
}
const TLP_MARKING_CREATED = '2022-10-01T00:00:00.000Z'

/** From the least to the most restrictive. */
const TLP_ORDER: readonly Tlp[] = ['clear', 'green', 'amber', 'amber+strict', 'red']

/**
 * The UUIDv5 namespace of Parley's STIX ids (itself `uuidv5('parley/stix-2.1', URL)`): every
 * id of a bundle is a name in it derived from the notice's event id, so one notice always
 * exports the same ids, and two notices never share one.
 */
export const PARLEY_STIX_NAMESPACE = '24021b3c-cd75-5c35-8882-fc61db60b867'

/** The last instant a STIX timestamp (four-digit year) can state. */
const LAST_STIX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** A STIX object as it goes into the bundle. */
export interface StixObject {
  readonly type: string
  readonly id: string
  readonly [property: string]: unknown
}

export interface StixBundle {
  readonly type: 'bundle'
  readonly id: string
  readonly objects: StixObject[]
}

/** A signed `notice.open` and what the export needs of its channel. */
export interface NoticeForStix {
  /** The event id of the signed `notice.open`. */
  readonly id: string
  readonly event: NoticeOpen
  /** The channel's title, from its signed `channel.create`. */
  readonly channelTitle?: string
  /** The signed `notice.close` of the notice, when it has one: the incident is closed then. */
  readonly closedAt?: number
}

export interface StixExport {
  readonly bundle: StixBundle
  /** Indicators left out because they are marked TLP:RED (CVE references included). */
  readonly withheldRed: number
  /** Indicators left out because STIX has no pattern for them (`other`, an ASN that is no number). */
  readonly unsupported: number
}

/** Whether a notice can be exported: only incident notices are. */
export function isIncidentNotice(event: NoticeOpen): boolean {
  return event.body.kind === 'incident'
}

/**
 * The STIX 2.1 bundle of an incident notice: the `incident` with the Incident Core Extension,
 * an `identity` for the author party and one per point of contact, an `indicator` per
 * indicator (a `vulnerability` per CVE), the `relationship`s between them and the TLP 2.0
 * marking definitions they use. Indicators marked TLP:RED are never exported.
 */
export function noticeToStix(notice: NoticeForStix): StixExport {
  const { id: eventId, event } = notice
  const { body } = event
  if (!isIncidentNotice(event)) throw new TypeError(`notice ${eventId} is not an incident`)
  const idOf = (type: string, name: string) =>
    `${type}--${uuidv5(`${eventId}/${name}`, PARLEY_STIX_NAMESPACE)}`
  const created = stixTime(event.time)
  if (created === undefined) {
    throw new RangeError(`notice ${eventId}: time ${event.time} has no STIX form`)
  }
  // A close signed by a clock behind the author's must not make the incident older than itself.
  const closed =
    notice.closedAt === undefined
      ? undefined
      : (stixTime(Math.max(event.time, notice.closedAt)) ?? created)
  const author = idOf('identity', 'author')
  const lang = labelLanguageOf(body.lang)
  const usedTlps = new Set<Tlp>([body.tlp])
  const common = (tlp: Tlp) => {
    usedTlps.add(tlp)
    return {
      spec_version: '2.1',
      created,
      modified: created,
      created_by_ref: author,
      object_marking_refs: [TLP_MARKING_IDS[tlp]],
    }
  }

  const incident = idOf('incident', 'incident')
  const objects: StixObject[] = [
    {
      type: 'identity',
      id: author,
      spec_version: '2.1',
      created,
      modified: created,
      name: event.author,
      description: `Parley party ${event.author}, author of the notice`,
      identity_class: 'organization',
    },
  ]

  const description = [
    body.summary,
    body.requestedAction === undefined
      ? undefined
      : `${label('field.requestedAction', lang)}: ${body.requestedAction}`,
  ].filter((part) => part !== undefined)
  const activity = body.observedActivity
  const extension: Record<string, unknown> = {
    extension_type: 'property-extension',
    // The author reports it; nothing in the notice says whether it was confirmed.
    determination: 'suspected',
    investigation_status: closed === undefined ? 'open' : 'closed',
  }
  if (body.severity !== undefined) {
    const level = body.severity as 1 | 2 | 3 | 4 | 5
    // NCISS levels 1–5 spread evenly over the extension's 0–100 scale: 20, 40, … 100.
    extension.criticality = level * 20
    extension.scores = [
      {
        name: 'NCISS level',
        value: level,
        description: `${label(`severity.${level}`, 'en')}: ${label(`severity.${level}.definition`, 'en')}`,
      },
    ]
  }
  if (activity !== undefined) {
    const start = activity.from === undefined ? undefined : stixTime(activity.from)
    const end = activity.until === undefined ? undefined : stixTime(activity.until)
    extension.attacker_activities = [
      {
        type: 'observed',
        description: activity.description,
        ...(start === undefined ? {} : { start_time: start }),
        ...(end === undefined ? {} : { end_time: end }),
      },
    ]
  }
  objects.push({
    type: 'incident',
    id: incident,
    ...common(body.tlp),
    ...(closed === undefined ? {} : { modified: closed }),
    name: body.subject,
    ...(description.length === 0 ? {} : { description: description.join('\n\n') }),
    lang: body.lang,
    labels: [
      `urgency:${body.urgency}`,
      ...(body.sectors ?? []).map((sector) => `sector:${sector}`),
    ],
    external_references: [
      {
        source_name: 'parley',
        external_id: eventId,
        description:
          `notice.open ${eventId} in channel ${event.channel}` +
          (notice.channelTitle === undefined ? '' : ` (${notice.channelTitle})`),
      },
      ...(body.attachments ?? []).map((attachment) => ({
        source_name: 'parley-attachment',
        description: `${attachment.name} (${attachment.mediaType}, ${attachment.size} bytes)`,
        hashes: { 'SHA-256': attachment.sha256 },
      })),
    ],
    extensions: { [INCIDENT_CORE_EXTENSION]: extension },
  })

  const relationships: StixObject[] = []
  const relate = (name: string, type: string, source: string, target: string, tlp: Tlp) =>
    relationships.push({
      type: 'relationship',
      id: idOf('relationship', name),
      ...common(tlp),
      relationship_type: type,
      source_ref: source,
      target_ref: target,
    })

  for (const [index, contact] of (body.pointsOfContact ?? []).entries()) {
    const id = idOf('identity', `contact/${index}`)
    const reach = [
      contact.email === undefined ? undefined : `e-mail: ${contact.email}`,
      contact.phone === undefined ? undefined : `phone: ${contact.phone}`,
      contact.hours === undefined ? undefined : `hours: ${contact.hours}`,
      contact.languages === undefined ? undefined : `languages: ${contact.languages.join(', ')}`,
    ].filter((part) => part !== undefined)
    objects.push({
      type: 'identity',
      id,
      ...common(body.tlp),
      name: contact.name,
      identity_class: 'individual',
      ...(contact.role === undefined ? {} : { roles: [contact.role] }),
      description: `Point of contact for the notice, for party ${contact.party ?? event.author}`,
      ...(reach.length === 0 ? {} : { contact_information: reach.join('; ') }),
    })
    relate(`contact/${index}`, 'related-to', incident, id, body.tlp)
  }

  let withheldRed = 0
  let unsupported = 0
  for (const [index, indicator] of (body.indicators ?? []).entries()) {
    if (indicator.tlp === 'red') {
      withheldRed++
      continue
    }
    // A relationship tells what both its ends are, so it carries the stricter marking.
    const linkTlp = stricter(indicator.tlp, body.tlp)
    if (indicator.type === 'cve') {
      const id = idOf('vulnerability', `indicator/${index}`)
      const cve = indicator.value.trim().toUpperCase()
      objects.push({
        type: 'vulnerability',
        id,
        ...common(indicator.tlp),
        name: indicator.value,
        ...(CVE_ID.test(cve)
          ? { external_references: [{ source_name: 'cve', external_id: cve }] }
          : {}),
      })
      relate(`indicator/${index}`, 'related-to', incident, id, linkTlp)
      continue
    }
    const pattern = patternOf(indicator)
    if (pattern === undefined) {
      unsupported++
      continue
    }
    const id = idOf('indicator', `indicator/${index}`)
    objects.push({
      type: 'indicator',
      id,
      ...common(indicator.tlp),
      name: indicator.value,
      description: label(`indicator.${indicator.type}`, 'en'),
      indicator_types: ['malicious-activity'],
      pattern,
      pattern_type: 'stix',
      pattern_version: '2.1',
      valid_from: created,
    })
    relate(`indicator/${index}`, 'indicates', id, incident, linkTlp)
  }

  objects.push(...relationships)
  for (const tlp of TLP_ORDER) if (usedTlps.has(tlp)) objects.push(tlpMarking(tlp))
  return {
    bundle: { type: 'bundle', id: idOf('bundle', 'bundle'), objects },
    withheldRed,
    unsupported,
  }
}

const CVE_ID = /^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$/

/** A STIX timestamp (RFC 3339, UTC, milliseconds), or none for an instant past year 9999. */
export function stixTime(ms: number): string | undefined {
  return ms >= 0 && ms <= LAST_STIX_TIME ? new Date(ms).toISOString() : undefined
}

/** A STIX pattern string literal: `'` and `\` are the only characters escaped (STIX §9.2). */
export function stixString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}

/** The STIX pattern that matches an indicator, or none when STIX has no object for its type. */
export function patternOf(indicator: Pick<Indicator, 'type' | 'value'>): string | undefined {
  const value = stixString(indicator.value)
  switch (indicator.type) {
    case 'ipv4':
      return `[ipv4-addr:value = ${value}]`
    case 'ipv6':
      return `[ipv6-addr:value = ${value}]`
    case 'cidr':
      return indicator.value.includes(':')
        ? `[ipv6-addr:value = ${value}]`
        : `[ipv4-addr:value = ${value}]`
    case 'domain':
      return `[domain-name:value = ${value}]`
    case 'url':
      return `[url:value = ${value}]`
    case 'email':
      return `[email-addr:value = ${value}]`
    case 'md5':
      return `[file:hashes.MD5 = ${value}]`
    case 'sha1':
      return `[file:hashes.'SHA-1' = ${value}]`
    case 'sha256':
      return `[file:hashes.'SHA-256' = ${value}]`
    case 'file-name':
      return `[file:name = ${value}]`
    case 'asn': {
      const number = /^(?:AS)?(\d{1,10})$/i.exec(indicator.value.trim())?.[1]
      if (number === undefined || Number(number) > 0xffffffff) return undefined
      return `[autonomous-system:number = ${Number(number)}]`
    }
    case 'cve':
    case 'other':
      return undefined
  }
}

function stricter(a: Tlp, b: Tlp): Tlp {
  return TLP_ORDER.indexOf(a) >= TLP_ORDER.indexOf(b) ? a : b
}

/** A TLP 2.0 marking definition exactly as published. */
export function tlpMarking(tlp: Tlp): StixObject {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: TLP_MARKING_IDS[tlp],
    created: TLP_MARKING_CREATED,
    name: `TLP:${tlp.toUpperCase()}`,
    extensions: {
      [TLP_2_0_EXTENSION]: { extension_type: 'property-extension', tlp_2_0: tlp },
    },
  }
}
