import { UNREAD_COUNT_MAX } from '@parley/api'
import { useMemo } from 'react'
import { useTranslation } from 'react-i18next'
import { Link } from 'react-router'
import { isFlash, unread, useChannels, useNode, useTimelines } from '../lib/data.ts'
import { UtcTime } from '../lib/time.tsx'
import { summary } from './event-text.ts'
import { InboxDeadlines } from './NoticesDeadlines.tsx'

/** Every channel of the officer's compartments: what is new, what is flash, what came last. */
export function Inbox() {
  const { t } = useTranslation()
  const channels = useChannels()
  const node = useNode()
  const timelines = useTimelines(channels.data ?? [])
  const own = useMemo(() => new Set(node.data?.parties.map((p) => p.id) ?? []), [node.data])

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('inbox.title')}</h1>
      <InboxDeadlines />
      {channels.isPending && <p className="muted">{t('common.loading')}</p>}
      {channels.data?.length === 0 && <p className="empty">{t('inbox.empty')}</p>}
      {(channels.data?.length ?? 0) > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">{t('inbox.channel')}</th>
              <th scope="col">{t('inbox.parties')}</th>
              <th scope="col">{t('inbox.unread')}</th>
              <th scope="col">{t('inbox.last')}</th>
              <th scope="col">{t('inbox.when')}</th>
            </tr>
          </thead>
          <tbody>
            {(channels.data ?? []).map((channel, i) => {
              const events = timelines[i]?.data?.events ?? []
              const count = channel.unread ?? 0
              const flash = unread(channel, events, own).some(isFlash)
              const last = events.at(-1)
              return (
                <tr key={channel.id} className={flash ? 'row-flash' : undefined}>
                  <th scope="row">
                    <Link to={`/channels/${channel.id}`}>{channel.title}</Link>
                    {channel.status === 'invited' && (
                      <span className="tag">{t('inbox.invited')}</span>
                    )}
                  </th>
                  <td>{channel.members.map((m) => m.party.toUpperCase()).join(' · ')}</td>
                  <td>
                    {count > 0 ? (
                      <span className={flash ? 'count count-flash' : 'count'}>
                        {count >= UNREAD_COUNT_MAX
                          ? t('inbox.unreadMany', { count })
                          : t('inbox.unreadCount', { count })}
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="clip">{last === undefined ? '' : summary(t, last)}</td>
                  <td>{last === undefined ? '' : <UtcTime ms={last.event.time} />}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}
