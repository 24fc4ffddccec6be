import nodemailer, { type Transporter } from 'nodemailer'
import type { SmtpSettings } from './smtp-config.ts'

export interface Mail {
  readonly to: readonly string[]
  readonly subject: string
  readonly text: string
  /** Extra header fields (a newsletter's `List-Unsubscribe`). */
  readonly headers?: Readonly<Record<string, string>>
}

/** What the SMTP server said: accepted (perhaps not for every recipient) or refused. */
export type MailOutcome =
  | {
      readonly ok: true
      readonly accepted: readonly string[]
      readonly rejected: readonly string[]
      readonly response: string
    }
  | {
      readonly ok: false
      /** The SMTP reply code, when the server answered one. */
      readonly code: number | null
      /** Worth another try: a 4xx reply, or no answer at all (connection, timeout). */
      readonly transient: boolean
      readonly reason: string
    }

/** Sends escalation e-mail over SMTP with nodemailer; one pooled-less transport per node. */
export class Mailer {
  readonly #settings: SmtpSettings
  readonly #transport: Transporter

  constructor(settings: SmtpSettings) {
    this.#settings = settings
    this.#transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.secure ?? false,
      ...(settings.auth === undefined ? {} : { auth: { ...settings.auth } }),
      // An escalation step must not hang on a dead server: the ladder retries instead.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    })
  }

  async send(mail: Mail): Promise<MailOutcome> {
    try {
      const info = await this.#transport.sendMail({
        from: this.#settings.from,
        to: [...mail.to],
        subject: mail.subject,
        text: mail.text,
        ...(mail.headers === undefined ? {} : { headers: { ...mail.headers } }),
      })
      return {
        ok: true,
        accepted: (info.accepted ?? []).map(String),
        rejected: (info.rejected ?? []).map(String),
        response: info.response ?? '250 OK',
      }
    } catch (error) {
      const failure = error as { responseCode?: number; response?: string; message?: string }
      const code = typeof failure.responseCode === 'number' ? failure.responseCode : null
      return {
        ok: false,
        code,
        transient: code === null || (code >= 400 && code < 500),
        reason: (failure.response ?? failure.message ?? String(error)).slice(0, 500),
      }
    }
  }

  close(): void {
    this.#transport.close()
  }
}
