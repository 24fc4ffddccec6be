import { isApiRequestError, type SessionView } from '@parley/api'
import { startAuthentication, startRegistration } from '@simplewebauthn/browser'
import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../lib/api.ts'
import { describeError } from '../lib/errors.ts'
import { useSetSession } from '../lib/session.ts'
import { LanguageSwitch } from './LanguageSwitch.tsx'

/** The page around every sign-in step: the product's name, the step, the language. */
function Door({ title, children }: { title: string; children: React.ReactNode }) {
  const { t } = useTranslation()
  return (
    <div className="door">
      <header className="door-top">
        <span className="brand">{t('app.name')}</span>
        <LanguageSwitch />
      </header>
      <main className="door-card" aria-labelledby="door-title">
        <h1 id="door-title">{title}</h1>
        {children}
      </main>
      <footer className="door-foot">{t('signIn.footer')}</footer>
    </div>
  )
}

function Failure({ error }: { error: unknown }) {
  const { t } = useTranslation()
  if (error === null) return null
  const locked =
    isApiRequestError(error, 'ACCOUNT_LOCKED') || isApiRequestError(error, 'ADDRESS_LOCKED')
  return (
    <div className={locked ? 'alert alert-locked' : 'alert alert-error'} role="alert">
      {locked && <strong>{t('signIn.lockedTitle')} </strong>}
      {describeError(t, error)}
    </div>
  )
}

/** Password, then the second factor the officer enrolled. */
export function SignIn() {
  const { t } = useTranslation()
  const setSession = useSetSession()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [pending, setPending] = useState<SessionView | null>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const session = await api.login({ body: { username, password } })
      setPassword('')
      if (session.stage === 'second-factor') setPending(session)
      else setSession(session)
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  if (pending !== null) return <SecondFactor session={pending} onBack={() => setPending(null)} />
  return (
    <Door title={t('signIn.title')}>
      <form onSubmit={submit} className="stack">
        <Failure error={error} />
        <label className="field">
          <span>{t('signIn.username')}</span>
          <input
            name="username"
            autoComplete="username webauthn"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="field">
          <span>{t('signIn.password')}</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('common.working') : t('signIn.submit')}
        </button>
      </form>
    </Door>
  )
}

type Factor = SessionView['secondFactors'][number]

/** The second step: an authenticator code, a passkey, or a recovery code. */
function SecondFactor({ session, onBack }: { session: SessionView; onBack: () => void }) {
  const { t } = useTranslation()
  const setSession = useSetSession()
  const factors = session.secondFactors
  const [factor, setFactor] = useState<Factor>(
    factors.includes('totp') ? 'totp' : (factors[0] ?? 'totp'),
  )
  const [code, setCode] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  const run = async (step: () => Promise<SessionView>) => {
    setBusy(true)
    setError(null)
    try {
      setSession(await step())
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    void run(() =>
      factor === 'recovery'
        ? api.loginWithRecoveryCode({ body: { code: code.trim() } })
        : api.loginWithTotp({ body: { code: code.replace(/\s/g, '') } }),
    )
  }
  const passkey = () =>
    run(async () => {
      const optionsJSON = (await api.passkeyLoginOptions()) as unknown as Parameters<
        typeof startAuthentication
      >[0]['optionsJSON']
      const response = await startAuthentication({ optionsJSON })
      return api.loginWithPasskey({ body: { response: response as never } })
    })

  return (
    <Door title={t('signIn.secondTitle')}>
      <Failure error={error} />
      {factors.length > 1 && (
        <fieldset className="tabs">
          <legend className="sr-only">{t('signIn.factorChoice')}</legend>
          {factors.map((f) => (
            <button
              key={f}
              type="button"
              aria-pressed={factor === f}
              className={factor === f ? 'tab tab-on' : 'tab'}
              onClick={() => {
                setFactor(f)
                setError(null)
              }}
            >
              {t(`signIn.factor.${f}`)}
            </button>
          ))}
        </fieldset>
      )}
      {factor === 'passkey' ? (
        <div className="stack">
          <p>{t('signIn.passkeyHelp')}</p>
          <button type="button" className="primary" disabled={busy} onClick={() => void passkey()}>
            {t('signIn.passkeyUse')}
          </button>
        </div>
      ) : (
        <form onSubmit={submit} className="stack">
          <label className="field">
            <span>{factor === 'recovery' ? t('signIn.recoveryCode') : t('signIn.totpCode')}</span>
            <input
              name="code"
              required
              autoComplete="one-time-code"
              inputMode={factor === 'totp' ? 'numeric' : 'text'}
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            {t('signIn.verify')}
          </button>
        </form>
      )}
      <button type="button" className="link" onClick={onBack}>
        {t('signIn.back')}
      </button>
    </Door>
  )
}

/** A reset or first password must be changed before anything else answers. */
export function ChangePassword({ forced }: { forced: boolean }) {
  const { t } = useTranslation()
  const setSession = useSetSession()
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [again, setAgain] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [mismatch, setMismatch] = useState(false)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(null)
    if (next !== again) {
      setMismatch(true)
      return
    }
    setMismatch(false)
    try {
      setSession(await api.changePassword({ body: { current, next } }))
    } catch (failure) {
      setError(failure)
    }
  }
  return (
    <Door title={t('password.title')}>
      {forced && <p className="muted">{t('password.forced')}</p>}
      <form onSubmit={submit} className="stack">
        <Failure error={error} />
        {mismatch && (
          <div className="alert alert-error" role="alert">
            {t('password.mismatch')}
          </div>
        )}
        <label className="field">
          <span>{t('password.current')}</span>
          <input
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
        <label className="field">
          <span>{t('password.next')}</span>
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
        </label>
        <label className="field">
          <span>{t('password.again')}</span>
          <input
            type="password"
            autoComplete="new-password"
            required
            value={again}
            onChange={(e) => setAgain(e.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          {t('password.submit')}
        </button>
      </form>
    </Door>
  )
}

/** The node requires a second factor and the officer has none yet: enrol one, keep the codes. */
export function EnrolSecondFactor() {
  const { t } = useTranslation()
  const setSession = useSetSession()
  const [totp, setTotp] = useState<{ secret: string; uri: string } | null>(null)
  const [code, setCode] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [done, setDone] = useState<{ codes: string[] | null; session: SessionView } | null>(null)

  const beginTotp = async () => {
    setError(null)
    try {
      setTotp(await api.beginTotpEnrolment())
    } catch (failure) {
      setError(failure)
    }
  }
  const confirm = async (event: FormEvent) => {
    event.preventDefault()
    try {
      const result = await api.confirmTotpEnrolment({ body: { code: code.replace(/\s/g, '') } })
      setDone({ codes: result.recoveryCodes, session: result.session })
    } catch (failure) {
      setError(failure)
    }
  }
  const passkey = async () => {
    setError(null)
    try {
      const optionsJSON = (await api.passkeyRegistrationOptions()) as unknown as Parameters<
        typeof startRegistration
      >[0]['optionsJSON']
      const response = await startRegistration({ optionsJSON })
      const result = await api.registerPasskey({ body: { response: response as never } })
      setDone({ codes: result.recoveryCodes, session: result.session })
    } catch (failure) {
      setError(failure)
    }
  }

  if (done !== null) {
    return (
      <Door title={t('enrol.codesTitle')}>
        {done.codes === null ? (
          <p>{t('enrol.noCodes')}</p>
        ) : (
          <>
            <p>{t('enrol.codesHelp')}</p>
            <ol className="codes" aria-label={t('enrol.codesTitle')}>
              {done.codes.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ol>
          </>
        )}
        <button type="button" className="primary" onClick={() => setSession(done.session)}>
          {t('enrol.continue')}
        </button>
      </Door>
    )
  }
  return (
    <Door title={t('enrol.title')}>
      <p className="muted">{t('enrol.help')}</p>
      <Failure error={error} />
      {totp === null ? (
        <div className="row">
          <button type="button" className="primary" onClick={() => void beginTotp()}>
            {t('enrol.totp')}
          </button>
          <button type="button" onClick={() => void passkey()}>
            {t('enrol.passkey')}
          </button>
        </div>
      ) : (
        <form onSubmit={confirm} className="stack">
          <p>{t('enrol.totpHelp')}</p>
          <label className="field">
            <span>{t('enrol.secret')}</span>
            <input className="secret" readOnly value={totp.secret} />
          </label>
          <label className="field">
            <span>{t('signIn.totpCode')}</span>
            <input
              required
              inputMode="numeric"
              autoComplete="one-time-code"
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          <button type="submit" className="primary">
            {t('enrol.confirm')}
          </button>
        </form>
      )}
    </Door>
  )
}
