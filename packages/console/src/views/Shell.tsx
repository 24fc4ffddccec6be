import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useMemo } from 'react'
import { useTranslation } from 'react-i18next'
import { Link, NavLink, Outlet } from 'react-router'
import { api } from '../lib/api.ts'
import { isFlash, unread, useChannels, useNode, useTimelines } from '../lib/data.ts'
import { useLabels } from '../lib/labels.ts'
import { useSetSession } from '../lib/session.ts'
import { useLiveStream } from '../lib/stream.ts'
import { useDateLanguage, utc } from '../lib/time.tsx'
import { LanguageSwitch } from './LanguageSwitch.tsx'
import { MoreButton } from './MoreButton.tsx'
import { SoundSwitch, useFlashAlert } from './SoundSwitch.tsx'

export interface ShellProps {
  readonly officer: { displayName: string; party: string; roles: readonly string[] }
}

/** Every page once signed in: the banners that must not be missed, navigation, the page. */
export function Shell({ officer }: ShellProps) {
  const { t } = useTranslation()
  const dateLanguage = useDateLanguage()
  const setSession = useSetSession()
  const L = useLabels()
  const client = useQueryClient()
  const stream = useLiveStream(true)
  const node = useNode()
  const channels = useChannels()
  const timelines = useTimelines(channels.data ?? [])
  const own = useMemo(() => new Set(node.data?.parties.map((p) => p.id) ?? []), [node.data])

  const flashes = useMemo(() => {
    const found: { channel: string; title: string; id: string }[] = []
    for (const [i, channel] of (channels.data ?? []).entries()) {
      const events = timelines[i]?.data?.events ?? []
      for (const view of unread(channel, events, own).filter(isFlash)) {
        found.push({ channel: channel.id, title: channel.title, id: view.id })
      }
    }
    return found
  }, [channels.data, timelines, own])

  const flashIds = useMemo(() => flashes.map((flash) => flash.id), [flashes])
  useFlashAlert(flashIds)

  useEffect(() => {
    document.title =
      flashes.length > 0
        ? t('flash.tabTitle', {
            count: flashes.length,
            label: L('urgency.flash').toLocaleUpperCase(),
          })
        : t('app.title')
  }, [flashes.length, t, L])

  const logout = async () => {
    try {
      await api.logout()
    } finally {
      setSession(null)
      client.clear()
    }
  }
  const admin = officer.roles.includes('admin')
  const releaser = officer.roles.includes('releaser')
  const unreachable = (node.data?.peers ?? []).filter((peer) => peer.failingSince !== null)

  return (
    <div className="shell">
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header className="top">
        <Link to="/" className="brand">
          {t('app.name')}
        </Link>
        <span className="node-name" title={t('shell.nodeHelp')}>
          {node.data?.node ?? ''}
        </span>
        <span className={`stream stream-${stream}`} role="status">
          {t(`stream.${stream}`)}
        </span>
        <span className="spacer" />
        <LanguageSwitch />
        <SoundSwitch />
        <span className="who">
          {officer.displayName} · {officer.party.toUpperCase()}
        </span>
        <button type="button" onClick={() => void logout()}>
          {t('shell.logout')}
        </button>
      </header>
      <div className="banners">
        {flashes.map((flash) => (
          <div key={flash.id} className="banner banner-flash" role="alert">
            <strong>{L('urgency.flash').toLocaleUpperCase()}</strong>{' '}
            {t('flash.text', { channel: flash.title })}{' '}
            <Link to={`/channels/${flash.channel}#${flash.id}`}>{t('flash.open')}</Link>
          </div>
        ))}
        {unreachable.map((peer) => (
          <div key={peer.url} className="banner banner-peer" role="alert">
            {t('peer.unreachable', {
              parties: peer.parties.join(', '),
              since: utc(peer.failingSince!, false, dateLanguage),
            })}
            {peer.lastErrorCode !== null && <span className="code"> {peer.lastErrorCode}</span>}
          </div>
        ))}
      </div>
      <div className="body">
        <nav className="side" aria-label={t('nav.label')}>
          <NavLink to="/" end>
            {t('nav.inbox')}
          </NavLink>
          {releaser && <NavLink to="/releases">{t('nav.releases')}</NavLink>}
          <NavLink to="/notices">{t('nav.notices')}</NavLink>
          <NavLink to="/roster">{t('nav.roster')}</NavLink>
          <NavLink to="/escalation">{t('nav.escalation')}</NavLink>
          <NavLink to="/pings">{t('nav.pings')}</NavLink>
          <NavLink to="/directory">{t('nav.directory')}</NavLink>
          <NavLink to="/redlines">{t('nav.redlines')}</NavLink>
          <NavLink to="/drafts">{t('nav.drafts')}</NavLink>
          {admin && <NavLink to="/admin">{t('nav.admin')}</NavLink>}
          <h2 className="side-head">{t('nav.channels')}</h2>
          {(channels.data ?? []).map((channel) => (
            <NavLink key={channel.id} to={`/channels/${channel.id}`}>
              {channel.title}
            </NavLink>
          ))}
          <MoreButton list={channels} label={t('nav.moreChannels')} />
        </nav>
        <main id="main" className="page" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  )
}
