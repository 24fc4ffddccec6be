import {
  CISA_SECTORS,
  type DraftStateView,
  type LabelLanguage,
  type RedlineBoard,
  sectorOf,
} from '@parley/api'
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link, useParams } from 'react-router'
import { api } from '../lib/api.ts'
import { useChannels, useNode } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { UtcTime } from '../lib/time.tsx'
import { ComplianceReports } from './ComplianceReports.tsx'
import { DateTimeInput } from './DateTimeInput.tsx'
import { ForwardForm } from './ForwardForm.tsx'

type Draft = DraftStateView
type Paragraph = Draft['paragraphs'][number]

function useLang(): LabelLanguage {
  const { i18n } = useTranslation()
  return i18n.language === 'ru' ? 'ru' : 'en'
}

/** A sector by its name in the taxonomy the node validates against (CISA until configurable). */
function useSector(): (id: string) => string {
  const lang = useLang()
  return (id) => sectorOf(CISA_SECTORS, id)?.label[lang] ?? id
}

/** The red-line board of every channel: what each party declares now, and what changed. */
export function Redlines() {
  const { t } = useTranslation()
  const channels = useChannels()
  const [sinceMs, setSince] = useState<number | undefined>(undefined)
  const boards = useQueries({
    queries: (channels.data ?? []).map((c) => ({
      queryKey: ['redlines', c.id, sinceMs],
      queryFn: () =>
        api.getRedlineBoard({
          params: { channel: c.id },
          query: sinceMs === undefined ? {} : { since: sinceMs },
        }),
    })),
  })
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('nav.redlines')}</h1>
      <p className="muted">{t('redlines.help')}</p>
      <DateTimeInput
        label={t('redlines.since')}
        value={sinceMs}
        dateOnly
        onChange={(parsed) => setSince(parsed.ok ? parsed.ms : undefined)}
      />
      {channels.isPending && <p className="muted">{t('common.loading')}</p>}
      {(channels.data ?? []).map((channel, i) => (
        <Board
          key={channel.id}
          channel={channel.id}
          title={channel.title}
          board={boards[i]?.data}
          error={boards[i]?.error}
        />
      ))}
    </section>
  )
}

function Board(props: {
  channel: string
  title: string
  board: RedlineBoard | undefined
  error: unknown
}) {
  const { t } = useTranslation()
  const sector = useSector()
  const { board } = props
  // By the channel's id: a title in Cyrillic has no \w characters, and ids must be unique.
  const headingId = `board-${props.channel}`
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{props.title}</h2>
      {props.error != null && <p role="alert">{describeError(t, props.error)}</p>}
      {board?.parties.every((p) => p.standing.length === 0) && board.withdrawn.length === 0 && (
        <p className="muted">{t('redlines.none')}</p>
      )}
      {board?.parties
        .filter((p) => p.standing.length > 0)
        .map((p) => (
          <div key={p.party}>
            <h3>{t('redlines.party', { party: p.party.toUpperCase() })}</h3>
            <ul className="plain">
              {p.standing.map((r) => (
                <li key={r.id} className="redline">
                  <strong>{r.title}</strong>{' '}
                  <span className={`tlp tlp-${r.tlp.replace('+', '-')}`}>
                    TLP:{r.tlp.toUpperCase()}
                  </span>
                  <div lang={r.lang}>{r.text}</div>
                  <div className="muted">
                    {t('redlines.threshold')}: {r.threshold} · {t('redlines.sectors')}:{' '}
                    {r.sectors.map(sector).join(', ')} ·{' '}
                    {t('redlines.version', { version: r.version })} <UtcTime ms={r.updatedAt} />
                  </div>
                  <ForwardForm
                    from={props.channel}
                    what={r.title}
                    events={() => latestVersionEvent(props.channel, r.id)}
                  />
                </li>
              ))}
            </ul>
          </div>
        ))}
      {board !== undefined && board.changes.length > 0 && (
        <>
          <h3>{t('redlines.changes')}</h3>
          <ol className="plain">
            {board.changes.map((c) => (
              <li key={c.event}>
                <UtcTime ms={c.time} /> {c.party.toUpperCase()} · {t(`redlines.kind.${c.kind}`)} ·{' '}
                {String((c.body as { title?: unknown }).title ?? c.redline.slice(0, 12))}{' '}
                {t('redlines.version', { version: c.version })}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  )
}

/** A red line is forwarded at its latest version: the event that declared, or last revised, it. */
async function latestVersionEvent(channel: string, redline: string): Promise<string[]> {
  const history = await api.getRedlineHistory({ params: { channel, redline } })
  const latest = history.versions.at(-1)
  return [latest?.event ?? redline]
}

/** The drafts of every channel, with each paragraph's status. */
export function Drafts() {
  const { t } = useTranslation()
  const channels = useChannels()
  const lists = useQueries({
    queries: (channels.data ?? []).map((c) => ({
      queryKey: ['drafts', c.id],
      queryFn: () => api.listDrafts({ params: { channel: c.id } }),
    })),
  })
  const rows = (channels.data ?? []).flatMap((c, i) =>
    (lists[i]?.data?.drafts ?? []).map((d) => ({ channel: c, draft: d })),
  )
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('nav.drafts')}</h1>
      {channels.isPending && <p className="muted">{t('common.loading')}</p>}
      {channels.isSuccess && rows.length === 0 && <p className="empty">{t('drafts.none')}</p>}
      {rows.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">{t('drafts.title')}</th>
              <th scope="col">{t('inbox.channel')}</th>
              <th scope="col">{t('drafts.state')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ channel, draft }) => (
              <tr key={draft.draft}>
                <th scope="row">
                  <Link to={`/channels/${channel.id}/drafts/${draft.draft}`}>{draft.title}</Link>
                </th>
                <td>{channel.title}</td>
                <td>
                  {draft.adopted.length > 0
                    ? t('drafts.adoptedVersion', { version: draft.adopted.at(-1)!.version })
                    : t('drafts.agreedCount', {
                        agreed: draft.paragraphs.filter((p) => p.status === 'agreed').length,
                        total: draft.paragraphs.length,
                      })}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** Posts one negotiation item through compose: signed at once, or held for release. */
async function compose(channel: string, type: string, body: Record<string, unknown>) {
  return api.compose({ params: { channel }, body: { type, body } as never })
}

/** A draft: paragraphs with their bracketed alternatives, who proposed and accepted what, adopt. */
export function DraftView() {
  const { channel = '', draft: id = '' } = useParams()
  const { t } = useTranslation()
  const client = useQueryClient()
  const channels = useChannels()
  const info = channels.data?.find((c) => c.id === channel)
  const own = useNode().data?.parties.map((p) => p.id) ?? []
  const draft = useQuery({
    queryKey: ['draft', channel, id],
    queryFn: () => api.getDraft({ params: { channel, draft: id } }),
    refetchInterval: 2_000,
  })
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)
  const act = async (type: string, body: Record<string, unknown>, said: string) => {
    setError(null)
    setDone(null)
    try {
      const answer = await compose(channel, type, { draft: id, ...body })
      // An adoption always waits for a second officer's release (the node's release floor).
      setDone('release' in answer ? t('compose.held') : said)
      await client.invalidateQueries({ queryKey: ['releases'] })
      await client.invalidateQueries({ queryKey: ['draft', channel, id] })
    } catch (failure) {
      setError(failure)
    }
  }
  const state = draft.data
  const open = state?.version ?? 1
  const us = own[0]
  return (
    <section aria-labelledby="page-title">
      <header className="page-head">
        <h1 id="page-title">{state?.title ?? t('common.loading')}</h1>
        <span className="muted">{info?.title}</span>
        <span className="spacer" />
        <Link to="/drafts">{t('drafts.back')}</Link>
      </header>
      {draft.error !== null && <p role="alert">{describeError(t, draft.error)}</p>}
      {error !== null && (
        <div className="alert alert-error" role="alert">
          {describeError(t, error)}
        </div>
      )}
      <p role="status" className="muted">
        {done ?? ''}
      </p>
      {state !== undefined && (
        <>
          <p className="muted">
            {t('drafts.meta', {
              creator: state.creator.toUpperCase(),
              version: state.version,
              lang: state.lang,
            })}
          </p>
          {state.paragraphs.map((p) => (
            <ParagraphCard
              key={p.eId}
              channel={channel}
              draft={id}
              paragraph={p}
              us={us}
              accept={(alternative) =>
                act(
                  'draft.accept',
                  { choices: [{ paragraph: p.eId, alternative }], version: open },
                  t('drafts.accepted'),
                )
              }
              propose={(text) =>
                act(
                  'draft.propose',
                  {
                    paragraphs: [
                      {
                        id: p.eId,
                        alternatives: [{ id: `${p.eId}.${us ?? 'x'}${Date.now() % 100000}`, text }],
                      },
                    ],
                    version: open,
                  },
                  t('drafts.proposed'),
                )
              }
            />
          ))}
          {state.packages.length > 0 && (
            <section className="card" aria-labelledby="packages">
              <h2 id="packages">{t('drafts.packages')}</h2>
              <ul>
                {state.packages.map((pk) => (
                  <li key={pk.id}>
                    {pk.id}: {pk.paragraphs.join(', ')} —{' '}
                    {pk.agreed ? t('drafts.status.agreed') : t('drafts.status.open')}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <Adoption
            state={state}
            us={us}
            adopt={(contentHash) =>
              act('draft.adopt', { contentHash, version: open }, t('drafts.adoptSent'))
            }
          />
          {state.adopted.length > 0 && (
            <Agreement channel={channel} draft={id} version={state.adopted.at(-1)!.version} />
          )}
          {state.adopted.length > 0 && (
            <section className="card" aria-labelledby="forward-agreement">
              <h2 id="forward-agreement">{t('forward.agreement')}</h2>
              <ForwardForm
                from={channel}
                what={state.title}
                events={async () => [id, ...state.adopted.at(-1)!.adopters.map((a) => a.event)]}
              />
            </section>
          )}
          {state.adopted.length > 0 && (
            <ComplianceReports channel={channel} draft={id} state={state} />
          )}
        </>
      )}
    </section>
  )
}

function ParagraphCard(props: {
  channel: string
  draft: string
  paragraph: Paragraph
  us: string | undefined
  accept: (alternative: string) => Promise<void>
  propose: (text: string) => Promise<void>
}) {
  const { t } = useTranslation()
  const { paragraph: p } = props
  const [text, setText] = useState('')
  const [comparing, setComparing] = useState(false)
  const headingId = `para-${p.eId}`
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (text.trim() === '') return
    void props.propose(text.trim()).then(() => setText(''))
  }
  return (
    <section className="card paragraph" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {p.num === null ? t('drafts.deleted') : t('drafts.paragraph', { num: p.num })}{' '}
        <span className={`tag status-${p.status}`}>{t(`drafts.status.${p.status}`)}</span>
      </h2>
      <ul className="plain alternatives">
        {p.alternatives
          .filter((a) => !a.withdrawn)
          .map((a) => (
            <li key={a.id} className={a.id === p.agreed ? 'alt alt-agreed' : 'alt'}>
              <span className="bracket">[</span>
              {a.deletes === true ? <em>{t('drafts.deletion')}</em> : a.text}
              <span className="bracket">]</span>
              <div className="muted">
                {t('drafts.proposedBy', { party: a.owner.toUpperCase() })}
                {' · '}
                {a.acceptedBy.length === 0
                  ? t('drafts.acceptedByNone')
                  : t('drafts.acceptedBy', {
                      parties: a.acceptedBy.map((x) => x.toUpperCase()).join(', '),
                    })}
              </div>
              {props.us !== undefined && !a.acceptedBy.includes(props.us) && (
                <button
                  type="button"
                  className="small"
                  onClick={() => void props.accept(a.id)}
                  aria-label={t('drafts.acceptLabel', { text: a.text.slice(0, 60) })}
                >
                  {t('drafts.accept')}
                </button>
              )}
            </li>
          ))}
      </ul>
      <div className="row">
        <button type="button" className="small" onClick={() => setComparing(!comparing)}>
          {comparing ? t('drafts.hideCompare') : t('drafts.compare')}
        </button>
      </div>
      {comparing && <Comparison channel={props.channel} draft={props.draft} paragraph={p.eId} />}
      <form onSubmit={submit} className="row">
        <label className="grow">
          {t('drafts.alternative')}
          <input value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <button type="submit">{t('drafts.propose')}</button>
      </form>
    </section>
  )
}

/** Every variant of a paragraph, with a word-level diff against the wording it amends. */
function Comparison(props: { channel: string; draft: string; paragraph: string }) {
  const { t } = useTranslation()
  const compared = useQuery({
    queryKey: ['compare', props.channel, props.draft, props.paragraph],
    queryFn: () =>
      api.compareParagraph({
        params: { channel: props.channel, draft: props.draft, paragraph: props.paragraph },
      }),
  })
  if (compared.error !== null) return <p role="alert">{describeError(t, compared.error)}</p>
  return (
    <table className="grid compare">
      <caption>{t('drafts.compareCaption')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('drafts.variant')}</th>
          <th scope="col">{t('drafts.diff')}</th>
        </tr>
      </thead>
      <tbody>
        {(compared.data?.variants ?? []).map((v) => (
          <tr key={v.id}>
            <th scope="row">
              {v.owner.toUpperCase()} <span className="muted mono">{v.id}</span>
            </th>
            <td>
              {v.diff.map((part, i) =>
                part.added === true ? (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a diff's parts have no identity but their place
                  <ins key={i}>{part.value}</ins>
                ) : part.removed === true ? (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a diff's parts have no identity but their place
                  <del key={i}>{part.value}</del>
                ) : (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a diff's parts have no identity but their place
                  <span key={i}>{part.value}</span>
                ),
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Adoption(props: {
  state: Draft
  us: string | undefined
  adopt: (hash: string) => Promise<void>
}) {
  const { t } = useTranslation()
  const { state } = props
  // Once a version is adopted the next one opens with the same text: nothing left to adopt
  // until someone changes it.
  const last = state.adopted.at(-1)
  const unchanged = last !== undefined && last.contentHash === state.contentHash
  return (
    <section className="card" aria-labelledby="adoption">
      <h2 id="adoption">{t('drafts.adoption')}</h2>
      {unchanged ? (
        <p>
          {t('drafts.adoptedVersionBy', {
            version: last.version,
            parties: last.adopters.map((a) => a.party.toUpperCase()).join(', '),
          })}{' '}
          <UtcTime ms={last.adoptedAt} />
        </p>
      ) : state.contentHash === null ? (
        <p className="muted">{t('drafts.notAgreed')}</p>
      ) : (
        <>
          <p>
            {t('drafts.hash')} <span className="mono">{state.contentHash.slice(0, 16)}…</span>
          </p>
          <p>
            {state.adoptedBy.length === 0
              ? t('drafts.adoptedByNone')
              : t('drafts.adoptedBy', {
                  parties: state.adoptedBy.map((x) => x.toUpperCase()).join(', '),
                })}
          </p>
          {props.us !== undefined && !state.adoptedBy.includes(props.us) && (
            <button
              type="button"
              className="primary"
              onClick={() => void props.adopt(state.contentHash!)}
            >
              {t('drafts.adopt')}
            </button>
          )}
        </>
      )}
    </section>
  )
}

/** The jointly signed agreement, checked here by the protocol's own verifier. */
function Agreement(props: { channel: string; draft: string; version: number }) {
  const { t } = useTranslation()
  const [result, setResult] = useState<
    | { ok: true; title: string; signatories: { party: string; time: number }[] }
    | { ok: false; where: string; reason: string }
    | null
  >(null)
  const [error, setError] = useState<unknown>(null)
  const [file, setFile] = useState<string | null>(null)
  const verify = async () => {
    setError(null)
    try {
      const agreement = await api.getAgreement({
        params: { channel: props.channel, draft: props.draft },
        query: { version: props.version },
      })
      // The verifier is loaded only when asked for, so the first page stays small.
      const { canonicalJson, verifyAgreement } = await import('@parley/protocol')
      const text = canonicalJson(agreement)
      setFile(text)
      const outcome = await verifyAgreement(text)
      setResult(
        outcome.ok
          ? {
              ok: true,
              title: outcome.agreement.title,
              signatories: [...outcome.agreement.signatories],
            }
          : { ok: false, where: outcome.where, reason: outcome.reason },
      )
    } catch (failure) {
      setError(failure)
    }
  }
  const download = () => {
    if (file === null) return
    const url = URL.createObjectURL(new Blob([file], { type: 'application/json' }))
    const link = document.createElement('a')
    link.href = url
    link.download = 'agreement.json'
    link.click()
    URL.revokeObjectURL(url)
  }
  return (
    <section className="card" aria-labelledby="agreement">
      <h2 id="agreement">{t('drafts.agreement', { version: props.version })}</h2>
      <div className="row">
        <button type="button" className="primary" onClick={() => void verify()}>
          {t('drafts.verify')}
        </button>
        <button type="button" disabled={file === null} onClick={download}>
          {t('drafts.download')}
        </button>
      </div>
      {error !== null && <p role="alert">{describeError(t, error)}</p>}
      {result !== null && (
        <div role="status">
          {result.ok ? (
            <p className="result-ok">
              {t('drafts.verified', {
                parties: result.signatories.map((s) => s.party.toUpperCase()).join(', '),
              })}
            </p>
          ) : (
            <p className="result-bad">
              {t('drafts.verifyFailed', { where: result.where, reason: result.reason })}
            </p>
          )}
        </div>
      )}
    </section>
  )
}
