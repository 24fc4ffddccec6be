import { ROLES, type Role } from '@parley/api'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { NavLink, Route, Routes } from 'react-router'
import { api } from '../lib/api.ts'
import { useNode } from '../lib/data.ts'
import { describeError } from '../lib/errors.ts'
import { useListPages } from '../lib/list-pages.ts'
import { UtcTime } from '../lib/time.tsx'
import { MoreButton } from './MoreButton.tsx'

/** Officers, compartments, peers and the audit log, for the party's admins. */
export function Admin() {
  const { t } = useTranslation()
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('admin.title')}</h1>
      <nav className="subnav" aria-label={t('admin.title')}>
        <NavLink to="/admin" end>
          {t('admin.officers')}
        </NavLink>
        <NavLink to="/admin/compartments">{t('admin.compartments')}</NavLink>
        <NavLink to="/admin/peers">{t('admin.peers')}</NavLink>
        <NavLink to="/admin/audit">{t('admin.audit')}</NavLink>
      </nav>
      <Routes>
        <Route index element={<Officers />} />
        <Route path="compartments" element={<Compartments />} />
        <Route path="peers" element={<Peers />} />
        <Route path="audit" element={<Audit />} />
      </Routes>
    </section>
  )
}

function Failure({ error }: { error: unknown }) {
  const { t } = useTranslation()
  if (error === null || error === undefined) return null
  return (
    <div className="alert alert-error" role="alert">
      {describeError(t, error)}
    </div>
  )
}

function Officers() {
  const { t } = useTranslation()
  const client = useQueryClient()
  // By username, a page at a time: the first page, then more as the admin asks.
  const officers = useListPages(
    ['officers'],
    async (query) => {
      const page = await api.listOfficers({ query })
      return { items: page.officers, cursors: page.cursors }
    },
    { direction: 'forward' },
  )
  const [error, setError] = useState<unknown>(null)
  const act = async (change: () => Promise<unknown>) => {
    setError(null)
    try {
      await change()
      await client.invalidateQueries({ queryKey: ['officers'] })
    } catch (failure) {
      setError(failure)
    }
  }
  const toggle = (roles: readonly Role[], role: Role) =>
    roles.includes(role) ? roles.filter((r) => r !== role) : [...roles, role]
  return (
    <>
      <Failure error={error ?? officers.error} />
      <table className="grid">
        <caption className="sr-only">{t('admin.officers')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('admin.name')}</th>
            <th scope="col">{t('admin.username')}</th>
            <th scope="col">{t('admin.roles')}</th>
            <th scope="col">{t('admin.factors')}</th>
            <th scope="col">{t('admin.state')}</th>
          </tr>
        </thead>
        <tbody>
          {(officers.data ?? []).map((o) => (
            <tr key={o.id}>
              <th scope="row">{o.displayName}</th>
              <td className="mono">{o.username}</td>
              <td>
                <fieldset className="roles">
                  <legend className="sr-only">{t('admin.rolesOf', { name: o.displayName })}</legend>
                  {ROLES.map((role) => (
                    <label key={role}>
                      <input
                        type="checkbox"
                        checked={o.roles.includes(role)}
                        onChange={() =>
                          void act(() =>
                            api.setOfficerRoles({
                              params: { officer: o.id },
                              body: { roles: toggle(o.roles, role) },
                            }),
                          )
                        }
                      />{' '}
                      {t(`role.${role}`)}
                    </label>
                  ))}
                </fieldset>
              </td>
              <td>
                {[
                  o.factors.totp ? t('admin.totp') : null,
                  o.factors.passkeys > 0
                    ? t('admin.passkeys', { count: o.factors.passkeys })
                    : null,
                ]
                  .filter(Boolean)
                  .join(', ') || t('admin.passwordOnly')}
              </td>
              <td>
                {o.disabled ? (
                  <button
                    type="button"
                    onClick={() => void act(() => api.enableOfficer({ params: { officer: o.id } }))}
                  >
                    {t('admin.enable')}
                  </button>
                ) : (
                  <button
                    type="button"
                    onClick={() =>
                      void act(() => api.disableOfficer({ params: { officer: o.id } }))
                    }
                  >
                    {t('admin.disable')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <MoreButton list={officers} label={t('admin.moreOfficers')} />
    </>
  )
}

function Compartments() {
  const { t } = useTranslation()
  // Newest channels first, older ones as the admin asks.
  const compartments = useListPages(['compartments'], async (query) => {
    const page = await api.listCompartments({ query })
    return { items: page.channels, cursors: page.cursors }
  })
  return (
    <>
      <Failure error={compartments.error} />
      {(compartments.data ?? []).map((c) => (
        <article key={c.channel} className="card">
          <h2>{c.title}</h2>
          <p className="muted mono">{c.channel}</p>
          <ul className="plain">
            {c.officers.map((o) => (
              <li key={o.officer}>
                {o.displayName} <span className="muted mono">{o.username}</span>{' '}
                <span className="muted">
                  {t('admin.granted')} <UtcTime ms={o.grantedAt} />
                </span>
              </li>
            ))}
          </ul>
        </article>
      ))}
      <MoreButton list={compartments} label={t('admin.moreCompartments')} />
    </>
  )
}

function Peers() {
  const { t } = useTranslation()
  const node = useNode()
  return (
    <>
      <Failure error={node.error} />
      <h2>{t('admin.parties')}</h2>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">{t('admin.party')}</th>
            <th scope="col">{t('admin.fingerprint')}</th>
          </tr>
        </thead>
        <tbody>
          {(node.data?.parties ?? []).map((p) => (
            <tr key={p.id}>
              <th scope="row">
                {p.id.toUpperCase()} <span className="muted">{p.name}</span>
              </th>
              <td className="mono">{p.fingerprint}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t('admin.peers')}</h2>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">{t('admin.peer')}</th>
            <th scope="col">{t('admin.url')}</th>
            <th scope="col">{t('admin.reachability')}</th>
            <th scope="col">{t('admin.lastSuccess')}</th>
          </tr>
        </thead>
        <tbody>
          {(node.data?.peers ?? []).map((p) => (
            <tr key={p.url}>
              <th scope="row">{p.parties.join(', ').toUpperCase()}</th>
              <td className="mono">{p.url}</td>
              <td>
                {p.failingSince === null ? (
                  <span className="ok">{t('admin.reachable')}</span>
                ) : (
                  <span className="bad">
                    {t('admin.unreachableSince')} <UtcTime ms={p.failingSince} />{' '}
                    {p.lastErrorCode ?? ''}
                  </span>
                )}
              </td>
              <td>{p.lastSuccessAt === null ? '—' : <UtcTime ms={p.lastSuccessAt} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

function Audit() {
  const { t } = useTranslation()
  const audit = useQuery({
    queryKey: ['audit'],
    queryFn: async () => (await api.listAudit({ query: { limit: 500 } })).entries,
  })
  const entries = [...(audit.data ?? [])].reverse()
  return (
    <>
      <Failure error={audit.error} />
      <table className="grid">
        <caption className="sr-only">{t('admin.audit')}</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">{t('admin.when')}</th>
            <th scope="col">{t('admin.action')}</th>
            <th scope="col">{t('admin.officer')}</th>
            <th scope="col">{t('admin.details')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.seq}>
              <td className="mono">{e.seq}</td>
              <td>
                <UtcTime ms={e.time} />
              </td>
              <td className="mono">{e.action}</td>
              <td className="mono">{e.officer ?? '—'}</td>
              <td className="mono clip">{JSON.stringify(e.details)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
