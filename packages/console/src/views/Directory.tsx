import { useQuery } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api.ts'
import { describeError } from '../lib/errors.ts'
import { UtcTime } from '../lib/time.tsx'

/** Every party's points of contact, as each party signed its own entry (directory.update). */
export function Directory() {
  const { t } = useTranslation()
  const directory = useQuery({
    queryKey: ['directory'],
    queryFn: async () => (await api.listDirectory()).entries,
  })
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('nav.directory')}</h1>
      <p className="muted">{t('directory.help')}</p>
      {directory.isError && (
        <div className="alert alert-error" role="alert">
          {describeError(t, directory.error)}
        </div>
      )}
      {directory.data?.length === 0 && <p className="empty">{t('directory.empty')}</p>}
      {(directory.data ?? []).map((entry) => (
        <article key={entry.party} className="card" aria-labelledby={`dir-${entry.party}`}>
          <header className="item-head">
            <h2 id={`dir-${entry.party}`}>{entry.party.toUpperCase()}</h2>
            <span className="muted">{t('directory.version', { version: entry.version })}</span>
            <span className="spacer" />
            <UtcTime ms={entry.time} />
          </header>
          <table className="grid">
            <thead>
              <tr>
                <th scope="col">{t('directory.name')}</th>
                <th scope="col">{t('directory.kind')}</th>
                <th scope="col">{t('directory.contact')}</th>
                <th scope="col">{t('directory.hours')}</th>
              </tr>
            </thead>
            <tbody>
              {entry.contacts.map((c) => (
                <tr key={`${c.email}-${c.kind}`}>
                  <th scope="row">
                    {c.name}
                    <div className="muted">
                      {c.position}, {c.institution}
                    </div>
                  </th>
                  <td>{t(`directory.kinds.${c.kind}`)}</td>
                  <td className="mono">
                    {c.email}
                    <br />
                    {c.phone}
                  </td>
                  <td>
                    {c.hours} ({c.timeZone}) · {c.languages.join(', ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </section>
  )
}
