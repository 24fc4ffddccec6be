import { PAGE_MAX_LIMIT, type Roster as RosterInput, type RosterView } from '@parley/api'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api.ts'
import { describeError } from '../lib/errors.ts'
import { useSession } from '../lib/session.ts'
import { UtcTime } from '../lib/time.tsx'

const DAYS = [1, 2, 3, 4, 5, 6, 7] as const
type Shift = RosterView['shifts'][number]

/** The party's watch: who is on duty now and next, and the weekly shifts in UTC. */
export function Roster() {
  const { t } = useTranslation()
  const officer = useSession().data?.officer
  const party = officer?.party ?? ''
  const admin = officer?.roles.includes('admin') ?? false
  const roster = useQuery({
    queryKey: ['roster', party],
    queryFn: () => api.getRoster({ params: { party } }),
    enabled: party !== '',
  })
  const now = useQuery({
    queryKey: ['roster', party, 'on-duty'],
    queryFn: () => api.getOnDuty({ params: { party }, query: {} }),
    enabled: party !== '',
    refetchInterval: 30_000,
  })
  const handover = now.data?.nextHandover ?? null
  const next = useQuery({
    queryKey: ['roster', party, 'on-duty', handover],
    queryFn: () => api.getOnDuty({ params: { party }, query: { at: handover! } }),
    enabled: handover !== null,
  })
  // Officers are named to admins only; others read the ids' last characters, as elsewhere.
  const officers = useQuery({
    queryKey: ['officers'],
    queryFn: () => Array.fromAsync(api.pages('listOfficers', {}, { limit: PAGE_MAX_LIMIT })),
    enabled: admin,
  })
  const names = new Map<string, string>()
  for (const o of officers.data ?? []) names.set(o.id, o.displayName)
  for (const o of [...(now.data?.officers ?? []), ...(next.data?.officers ?? [])]) {
    names.set(o.id, o.displayName)
  }
  const nameOf = (id: string) => names.get(id) ?? t('item.officer', { id: id.slice(-6) })

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('nav.roster')}</h1>
      <p className="muted">{t('roster.help', { party: party.toUpperCase() })}</p>
      {(roster.isError || now.isError) && (
        <div className="alert alert-error" role="alert">
          {describeError(t, roster.error ?? now.error)}
        </div>
      )}
      <div className="cards">
        <article className="card" aria-labelledby="watch-now">
          <h2 id="watch-now">{t('roster.now')}</h2>
          {now.data !== undefined && now.data.officers.length === 0 && (
            <p className="empty">{t('roster.nobody')}</p>
          )}
          <ul className="plain">
            {(now.data?.officers ?? []).map((o) => (
              <li key={o.id}>
                <strong>{o.displayName}</strong>{' '}
                <span className="muted">{o.email ?? t('roster.noEmail')}</span>
              </li>
            ))}
          </ul>
          {handover !== null && (
            <p>
              {t('roster.handover')} <UtcTime ms={handover} />
            </p>
          )}
        </article>
        <article className="card" aria-labelledby="watch-next">
          <h2 id="watch-next">{t('roster.next')}</h2>
          {handover === null && now.data !== undefined && (
            <p className="muted">{t('roster.noHandover')}</p>
          )}
          {next.data !== undefined && next.data.officers.length === 0 && (
            <p className="empty">{t('roster.nobody')}</p>
          )}
          <ul className="plain">
            {(next.data?.officers ?? []).map((o) => (
              <li key={o.id}>
                <strong>{o.displayName}</strong>{' '}
                <span className="muted">{o.email ?? t('roster.noEmail')}</span>
              </li>
            ))}
          </ul>
        </article>
      </div>
      <h2>{t('roster.shifts')}</h2>
      {roster.data?.updatedAt != null && (
        <p className="muted">
          {t('roster.updated')} <UtcTime ms={roster.data.updatedAt} />
        </p>
      )}
      {roster.data !== undefined && roster.data.shifts.length === 0 && (
        <p className="empty">{t('roster.noShifts')}</p>
      )}
      {roster.data !== undefined && roster.data.shifts.length > 0 && (
        <ShiftTable
          shifts={roster.data.shifts}
          nameOf={nameOf}
          editable={admin}
          roster={roster.data}
          party={party}
        />
      )}
      {(roster.data?.overrides.length ?? 0) > 0 && (
        <>
          <h2>{t('roster.overrides')}</h2>
          <table className="grid">
            <thead>
              <tr>
                <th scope="col">{t('roster.officer')}</th>
                <th scope="col">{t('roster.from')}</th>
                <th scope="col">{t('roster.until')}</th>
                <th scope="col">{t('roster.replaces')}</th>
              </tr>
            </thead>
            <tbody>
              {roster.data!.overrides.map((o) => (
                <tr key={`${o.officer}:${o.from}`}>
                  <th scope="row">{nameOf(o.officer)}</th>
                  <td>
                    <UtcTime ms={o.from} />
                  </td>
                  <td>
                    <UtcTime ms={o.until} />
                  </td>
                  <td>
                    {o.replaces === undefined ? '—' : nameOf(o.replaces)}
                    {o.note !== undefined && <div className="muted">{o.note}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {admin && roster.data !== undefined && (
        <AddShift
          party={party}
          roster={roster.data}
          officers={(officers.data ?? []).filter((o) => o.party === party && !o.disabled)}
        />
      )}
      {!admin && <p className="muted">{t('roster.adminsEdit')}</p>}
    </section>
  )
}

function useSaveRoster(party: string) {
  const client = useQueryClient()
  return async (next: RosterInput) => {
    await api.setRoster({ params: { party }, body: next })
    await client.invalidateQueries({ queryKey: ['roster', party] })
  }
}

function ShiftTable(props: {
  shifts: readonly Shift[]
  nameOf: (id: string) => string
  editable: boolean
  roster: RosterView
  party: string
}) {
  const { t } = useTranslation()
  const save = useSaveRoster(props.party)
  const [error, setError] = useState<unknown>(null)
  const remove = async (i: number) => {
    setError(null)
    try {
      await save({
        shifts: props.roster.shifts.filter((_, j) => j !== i),
        overrides: props.roster.overrides,
      })
    } catch (failure) {
      setError(failure)
    }
  }
  return (
    <>
      {error !== null && (
        <div className="alert alert-error" role="alert">
          {describeError(t, error)}
        </div>
      )}
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">{t('roster.officer')}</th>
            <th scope="col">{t('roster.days')}</th>
            <th scope="col">{t('roster.hours')}</th>
            {props.editable && <th scope="col">{t('roster.change')}</th>}
          </tr>
        </thead>
        <tbody>
          {props.shifts.map((shift, i) => (
            <tr key={`${shift.officer}:${shift.days.join()}:${shift.from}`}>
              <th scope="row">{props.nameOf(shift.officer)}</th>
              <td>{shift.days.map((d) => t(`roster.day.${d}`)).join(', ')}</td>
              <td className="mono">
                {shift.from}–{shift.until} UTC
                {shift.until <= shift.from && <span className="muted"> {t('roster.nextDay')}</span>}
              </td>
              {props.editable && (
                <td>
                  <button type="button" className="small" onClick={() => void remove(i)}>
                    {t('roster.remove')}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

/** An admin adds a weekly shift; the node checks the whole roster (ROSTER_INVALID). */
function AddShift(props: {
  party: string
  roster: RosterView
  officers: readonly { id: string; displayName: string }[]
}) {
  const { t } = useTranslation()
  const save = useSaveRoster(props.party)
  const [who, setWho] = useState('')
  const [days, setDays] = useState<number[]>([1, 2, 3, 4, 5])
  const [from, setFrom] = useState('08:00')
  const [until, setUntil] = useState('20:00')
  const [error, setError] = useState<unknown>(null)
  const [saved, setSaved] = useState(false)
  const [invalid, setInvalid] = useState(false)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setSaved(false)
    setError(null)
    const ok =
      who !== '' && days.length > 0 && /^\d\d:\d\d$/.test(from) && /^\d\d:\d\d$/.test(until)
    setInvalid(!ok)
    if (!ok) return
    try {
      await save({
        shifts: [
          ...props.roster.shifts,
          { officer: who, days: [...days].sort((a, b) => a - b), from, until },
        ],
        overrides: props.roster.overrides,
      })
      setSaved(true)
    } catch (failure) {
      setError(failure)
    }
  }
  return (
    <form className="compose" onSubmit={submit} noValidate aria-labelledby="add-shift">
      <h2 id="add-shift">{t('roster.add')}</h2>
      {invalid && (
        <div className="alert alert-error" role="alert">
          {t('roster.incomplete')}
        </div>
      )}
      {error !== null && (
        <div className="alert alert-error" role="alert">
          {describeError(t, error)}
        </div>
      )}
      {saved && (
        <div className="alert alert-ok" role="status">
          {t('roster.saved')}
        </div>
      )}
      <div className="row">
        <label className="field">
          <span>{t('roster.officer')}</span>
          <select value={who} onChange={(e) => setWho(e.target.value)}>
            <option value="">{t('compose.choose')}</option>
            {props.officers.map((o) => (
              <option key={o.id} value={o.id}>
                {o.displayName}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('roster.from')} (UTC)</span>
          <input type="time" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="field">
          <span>{t('roster.until')} (UTC)</span>
          <input type="time" value={until} onChange={(e) => setUntil(e.target.value)} />
        </label>
      </div>
      <fieldset>
        <legend>{t('roster.days')}</legend>
        {DAYS.map((d) => (
          <label key={d} className="check">
            <input
              type="checkbox"
              checked={days.includes(d)}
              onChange={(e) =>
                setDays(e.target.checked ? [...days, d] : days.filter((x) => x !== d))
              }
            />{' '}
            {t(`roster.day.${d}`)}
          </label>
        ))}
      </fieldset>
      <div className="row">
        <span className="spacer" />
        <button type="submit" className="primary">
          {t('roster.save')}
        </button>
      </div>
    </form>
  )
}
