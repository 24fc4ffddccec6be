import type { Agreement, VerifiedAgreement } from '@parley/protocol'

/** A draft's state as the officer API gives it (GET /channels/:channel/drafts/:draft). */
export interface DraftStateFile {
  readonly draft: string
  readonly title: string
  readonly lang: string
  readonly version: number
  readonly paragraphs: readonly {
    readonly eId: string
    readonly num: number | null
    readonly status: string
    readonly agreed: string | null
    readonly alternatives: readonly {
      readonly id: string
      readonly text: string
      readonly owner: string
      readonly alternativeTo?: string
      readonly deletes?: boolean
      readonly withdrawn: boolean
    }[]
  }[]
}

const AKN = 'http://docs.oasis-open.org/legaldocml/ns/akn/3.0'
const PARLEY = 'https://parley.example/ns/akn/1'

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  )
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
// A paragraph's eId keeps its Parley id, so it survives renumbering as Akoma Ntoso intends.
const paraId = (eId: string) => `para_${eId}`
const altId = (eId: string, alternative: string) => `para_${eId}__alt_${alternative}`

function identification(work: string, lang: string, date: string, author: string): string {
  const uri = `/akn/un/act/parley/${work}`
  return [
    '      <identification source="#parley">',
    '        <FRBRWork>',
    `          <FRBRthis value="${uri}/main"/>`,
    `          <FRBRuri value="${uri}"/>`,
    `          <FRBRdate date="${date}" name="generation"/>`,
    `          <FRBRauthor href="#${xmlEscape(author)}"/>`,
    '          <FRBRcountry value="un"/>',
    '        </FRBRWork>',
    '        <FRBRExpression>',
    `          <FRBRthis value="${uri}/${xmlEscape(lang)}@/main"/>`,
    `          <FRBRuri value="${uri}/${xmlEscape(lang)}@"/>`,
    `          <FRBRdate date="${date}" name="generation"/>`,
    `          <FRBRauthor href="#${xmlEscape(author)}"/>`,
    `          <FRBRlanguage language="${xmlEscape(lang)}"/>`,
    '        </FRBRExpression>',
    '        <FRBRManifestation>',
    `          <FRBRthis value="${uri}/${xmlEscape(lang)}@/main.xml"/>`,
    `          <FRBRuri value="${uri}/${xmlEscape(lang)}@.akn"/>`,
    `          <FRBRdate date="${date}" name="generation"/>`,
    '          <FRBRauthor href="#parley"/>',
    '        </FRBRManifestation>',
    '      </identification>',
  ].join('\n')
}

function references(parties: readonly string[]): string {
  return [
    '      <references source="#parley">',
    '        <TLCOrganization eId="parley" href="/ontology/organization/parley" showAs="Parley"/>',
    ...parties.map(
      (party) =>
        `        <TLCOrganization eId="${xmlEscape(party)}" href="/ontology/organization/parley/${xmlEscape(party)}" showAs="${xmlEscape(party)}"/>`,
    ),
    '      </references>',
  ].join('\n')
}

/**
 * An adopted agreement as an Akoma Ntoso `act`: the agreed paragraphs with stable eIds, their
 * translations as `<p xml:lang>` siblings, and every signatory with its signed adopt event.
 */
export function agreementXml(agreement: Agreement, verified: VerifiedAgreement): string {
  const date = day(Math.max(...verified.signatories.map((s) => s.time)))
  const parties = verified.signatories.map((s) => s.party)
  const body = agreement.text.map((paragraph, i) =>
    [
      `      <paragraph eId="${paraId(paragraph.paragraph)}">`,
      `        <num>${i + 1}</num>`,
      '        <content>',
      `          <p xml:lang="${xmlEscape(verified.lang)}">${xmlEscape(paragraph.text)}</p>`,
      ...Object.entries(paragraph.translations ?? {}).map(
        ([lang, text]) => `          <p xml:lang="${xmlEscape(lang)}">${xmlEscape(text)}</p>`,
      ),
      '        </content>',
      '      </paragraph>',
    ].join('\n'),
  )
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<akomaNtoso xmlns="${AKN}" xmlns:parley="${PARLEY}">`,
    `  <act name="parley-agreement" contains="singleVersion">`,
    '    <meta>',
    identification(verified.draft, verified.lang, date, parties[0] ?? 'parley'),
    references(parties),
    '      <proprietary source="#parley">',
    `        <parley:agreement draft="${verified.draft}" channel="${verified.channel}" version="${verified.version}" contentHash="${verified.contentHash}"/>`,
    '      </proprietary>',
    '    </meta>',
    '    <preface>',
    `      <longTitle><p>${xmlEscape(verified.title)}</p></longTitle>`,
    '    </preface>',
    '    <body>',
    ...body,
    '    </body>',
    '    <conclusions>',
    '      <blockContainer eId="signatories">',
    ...verified.signatories.map(
      (s) =>
        `        <p><signature><party refersTo="#${xmlEscape(s.party)}">${xmlEscape(s.party)}</party> <date date="${day(s.time)}" refersTo="#${xmlEscape(s.party)}">${new Date(s.time).toISOString()}</date> <parley:adopt event="${s.event}" key="${xmlEscape(s.key)}"/></signature></p>`,
    ),
    '      </blockContainer>',
    '    </conclusions>',
    '  </act>',
    '</akomaNtoso>',
    '',
  ].join('\n')
}

/**
 * An open draft as Akoma Ntoso: each paragraph's first wording as the paragraph, every other
 * wording as an alternative paragraph whose `alternativeTo` names the eId it is offered for.
 */
export function draftXml(state: DraftStateFile, generatedAt: number): string {
  const owners = [...new Set(state.paragraphs.flatMap((p) => p.alternatives.map((a) => a.owner)))]
  const body = state.paragraphs.flatMap((paragraph) => {
    const [first, ...others] = paragraph.alternatives
    if (first === undefined) return []
    const one = (
      id: string,
      alternative: (typeof paragraph.alternatives)[number],
      alternativeTo?: string,
    ) =>
      [
        `      <paragraph eId="${id}"${alternativeTo === undefined ? '' : ` alternativeTo="${alternativeTo}"`} parley:status="${paragraph.status}" parley:proposedBy="${xmlEscape(alternative.owner)}"${alternative.withdrawn ? ' parley:withdrawn="true"' : ''}${alternative.deletes ? ' parley:deletes="true"' : ''}>`,
        paragraph.num === null ? '' : `        <num>${paragraph.num}</num>`,
        '        <content>',
        `          <p>${paragraph.alternatives.length > 1 && paragraph.status === 'open' ? `[${xmlEscape(alternative.text)}]` : xmlEscape(alternative.text)}</p>`,
        '        </content>',
        '      </paragraph>',
      ]
        .filter((line) => line !== '')
        .join('\n')
    return [
      one(paraId(paragraph.eId), first),
      ...others.map((alternative) =>
        one(
          altId(paragraph.eId, alternative.id),
          alternative,
          alternative.alternativeTo === undefined || alternative.alternativeTo === first.id
            ? paraId(paragraph.eId)
            : altId(paragraph.eId, alternative.alternativeTo),
        ),
      ),
    ]
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<akomaNtoso xmlns="${AKN}" xmlns:parley="${PARLEY}">`,
    `  <bill name="parley-draft" contains="multipleVersions">`,
    '    <meta>',
    identification(state.draft, state.lang, day(generatedAt), owners[0] ?? 'parley'),
    references(owners),
    '      <proprietary source="#parley">',
    `        <parley:draft draft="${state.draft}" version="${state.version}"/>`,
    '      </proprietary>',
    '    </meta>',
    '    <preface>',
    `      <longTitle><p>${xmlEscape(state.title)}</p></longTitle>`,
    '    </preface>',
    '    <body>',
    ...body,
    '    </body>',
    '  </bill>',
    '</akomaNtoso>',
    '',
  ].join('\n')
}
