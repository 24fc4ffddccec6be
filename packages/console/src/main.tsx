import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { useTranslation } from 'react-i18next'
import { BrowserRouter, Route, Routes } from 'react-router'
import { startI18n } from './i18n/index.ts'
import { sessionEnded } from './lib/api.ts'
import { useSession } from './lib/session.ts'
import './styles.css'
import { Admin } from './views/Admin.tsx'
import { Channel } from './views/Channel.tsx'
import { Directory } from './views/Directory.tsx'
import { Forwards } from './views/Forwards.tsx'
import { Inbox } from './views/Inbox.tsx'
import { Drafts, DraftView, Redlines } from './views/Negotiation.tsx'
import { Releases } from './views/Releases.tsx'
import { Shell } from './views/Shell.tsx'
import { ChangePassword, EnrolSecondFactor, SignIn } from './views/SignIn.tsx'
import { Unavailable } from './views/Unavailable.tsx'
import { Verify } from './views/Verify.tsx'

const queries: QueryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, error) => !sessionEnded(error) && count < 2,
      refetchOnWindowFocus: true,
      staleTime: 5_000,
    },
  },
})
// A call refused because the session ended sends the officer to the sign-in.
queries.getQueryCache().subscribe((event) => {
  if (
    event.type === 'updated' &&
    event.action.type === 'error' &&
    sessionEnded(event.action.error)
  ) {
    if (event.query.queryKey[0] !== 'session')
      void queries.invalidateQueries({ queryKey: ['session'] })
  }
})

function App() {
  const { t } = useTranslation()
  const session = useSession()
  if (session.isPending) return <p className="loading">{t('common.loading')}</p>
  const current = session.data ?? null
  if (current === null || current.stage !== 'active' || current.officer === null) return <SignIn />
  if (current.setup.mustChangePassword) return <ChangePassword forced />
  if (current.setup.mustEnrolSecondFactor) return <EnrolSecondFactor />
  return (
    <Routes>
      <Route element={<Shell officer={current.officer} />}>
        <Route index element={<Inbox />} />
        <Route path="channels/:channel" element={<Channel />} />
        <Route path="channels/:channel/verify" element={<Verify />} />
        <Route path="releases" element={<Releases />} />
        <Route path="admin/*" element={<Admin />} />
        <Route path="notices" element={<Unavailable view="notices" />} />
        <Route path="directory" element={<Directory />} />
        <Route path="redlines" element={<Redlines />} />
        <Route path="drafts" element={<Drafts />} />
        <Route path="channels/:channel/drafts/:draft" element={<DraftView />} />
        <Route path="channels/:channel/forwards" element={<Forwards />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  )
}

function NotFound() {
  const { t } = useTranslation()
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t('notFound.title')}</h1>
    </section>
  )
}

await startI18n()
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
)
