import { useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, lazy, Suspense, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api.ts'
import { useChannels } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { UtcTime } from '../lib/time.tsx'
import { formatDuration } from './Countdown.tsx'
import type { PingPoint } from './PingsChart.tsx'

// uPlot is loaded with this page's chart only, never with the console's first screen.
const PingsChart = lazy(() =>
  import('./PingsChart.tsx').then((module) => ({ default: module.PingsChart })),
)
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 0] as const

/** Ping tests: weekly schedules, an ad hoc ping, and each party's answers with a chart. */
export function Pings() {
  const { t } = useTranslation()
  const channels = useChannels()
  const titles = new Map((channels.data ?? []).map((c) => [c.id, c.title]))
  const stats = useQuery({
    queryKey: ['pings', 'stats'],
    queryFn: async () => (await api.pingStats({ query: {} })).parties,
    refetchInterval: 10_000,
  })
  const schedules = useQuery({
    queryKey: ['pings', 'schedules'],
    queryFn: async () => (await api.listPingSchedules({ query: {} })).schedules,
  })
  const pings = useQuery({
    queryKey: ['notices', 'list', { kind: 'ping', limit: 200 }],
    queryFn: async () => (await api.listNotices({ query: { kind: 'ping', limit: 200 } })).notices,
    refetchInterval: 10_000,
  })
  const points: PingPoint[] = (pings.data ?? []).flatMap((notice) =>
    notice.recipients.map((r) => ({
      at: notice.openedAt,
      party: r.party,
      answerMs:
        r.acknowledgedAt !== null && r.deliveredAt !== null
          ? Math.max(0, r.acknowledgedAt - r.deliveredAt)
          : null,
    })),
  )
  const duration = (ms: number | null) =>
    ms === null ? '—' : formatDuration(ms, t('countdown.day'))

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('nav.pings')}</h1>
      <p className="muted">{t('pings.help')}</p>
      <h2>{t('pings.stats')}</h2>
      {stats.isError && (
        <div className="alert alert-error" role="alert">
          {describeError(t, stats.error)}
        </div>
      )}
      {stats.data?.length === 0 && <p className="empty">{t('pings.noStats')}</p>}
      {(stats.data?.length ?? 0) > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">{t('pings.party')}</th>
              <th scope="col">{t('pings.answered')}</th>
              <th scope="col">{t('pings.rate')}</th>
              <th scope="col">{t('pings.median')}</th>
              <th scope="col">{t('pings.p90')}</th>
              <th scope="col">{t('pings.last')}</th>
            </tr>
          </thead>
          <tbody>
            {stats.data!.map((s) => (
              <tr key={s.party}>
                <th scope="row">{s.party.toUpperCase()}</th>
                <td>{t('pings.answeredOf', { answered: s.answered, pings: s.pings })}</td>
                <td>{s.responseRate === null ? '—' : `${Math.round(s.responseRate * 100)} %`}</td>
                <td className="mono">{duration(s.medianMs)}</td>
                <td className="mono">{duration(s.p90Ms)}</td>
                <td>{s.lastAnsweredAt === null ? '—' : <UtcTime ms={s.lastAnsweredAt} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {points.some((p) => p.answerMs !== null) && (
        <figure className="card chart">
          <figcaption>{t('pings.chart')}</figcaption>
          <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>
            <PingsChart
              points={points}
              label={t('pings.chartLabel')}
              minutes={t('pings.minutes')}
              seconds={t('pings.seconds')}
            />
          </Suspense>
        </figure>
      )}
      <h2>{t('pings.schedules')}</h2>
      {schedules.isError && (
        <div className="alert alert-error" role="alert">
          {describeError(t, schedules.error)}
        </div>
      )}
      {schedules.data?.length === 0 && <p className="empty">{t('pings.noSchedules')}</p>}
      {(schedules.data?.length ?? 0) > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">{t('pings.channel')}</th>
              <th scope="col">{t('pings.every')}</th>
              <th scope="col">{t('pings.next')}</th>
            </tr>
          </thead>
          <tbody>
            {schedules.data!.map((s) => (
              <tr key={s.id}>
                <th scope="row">{titles.get(s.channel) ?? s.channel}</th>
                <td>
                  {t('pings.weekly', {
                    day: t(`pings.weekday.${s.weekday}`),
                    time: `${String(s.hour).padStart(2, '0')}:${String(s.minute).padStart(2, '0')}`,
                  })}
                </td>
                <td>
                  <UtcTime ms={s.nextAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <PingForms channels={(channels.data ?? []).filter((c) => c.status !== 'invited')} />
    </section>
  )
}

function PingForms({ channels }: { channels: readonly { id: string; title: string }[] }) {
  const { t } = useTranslation()
  const client = useQueryClient()
  const [channel, setChannel] = useState('')
  const [weekday, setWeekday] = useState(1)
  const [time, setTime] = useState('10:00')
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<string | null>(null)
  const [invalid, setInvalid] = useState(false)
  const run = async (what: 'ping' | 'schedule') => {
    setError(null)
    setDone(null)
    setInvalid(channel === '')
    if (channel === '') return
    try {
      if (what === 'ping') await api.sendPing({ params: { channel }, body: {} })
      else {
        const [hour, minute] = time.split(':').map(Number) as [number, number]
        await api.schedulePings({ params: { channel }, body: { weekday, hour, minute } })
      }
      setDone(what === 'ping' ? 'pings.sent' : 'pings.scheduled')
      await client.invalidateQueries({ queryKey: ['pings'] })
      await client.invalidateQueries({ queryKey: ['notices'] })
    } catch (failure) {
      setError(failure)
    }
  }
  const schedule = (event: FormEvent) => {
    event.preventDefault()
    void run('schedule')
  }
  return (
    <form className="compose" onSubmit={schedule} noValidate aria-labelledby="ping-form">
      <h2 id="ping-form">{t('pings.new')}</h2>
      {invalid && (
        <div className="alert alert-error" role="alert">
          {t('pings.needChannel')}
        </div>
      )}
      {error !== null && (
        <div className="alert alert-error" role="alert">
          {describeError(t, error)}
        </div>
      )}
      {done !== null && (
        <div className="alert alert-ok" role="status">
          {t(done)}
        </div>
      )}
      <div className="row">
        <label className="field">
          <span>{t('pings.channel')}</span>
          <select value={channel} onChange={(e) => setChannel(e.target.value)}>
            <option value="">{t('compose.choose')}</option>
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => void run('ping')}>
          {t('pings.pingNow')}
        </button>
      </div>
      <div className="row">
        <label className="field">
          <span>{t('pings.day')}</span>
          <select value={weekday} onChange={(e) => setWeekday(Number(e.target.value))}>
            {WEEKDAYS.map((d) => (
              <option key={d} value={d}>
                {t(`pings.weekday.${d}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('pings.time')}</span>
          <input type="time" value={time} onChange={(e) => setTime(e.target.value)} />
        </label>
        <button type="submit" className="primary">
          {t('pings.schedule')}
        </button>
      </div>
    </form>
  )
}
