import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { reservePort } from './ports.ts'

/** A message the test SMTP server took, parsed. */
export interface CaughtMail {
  readonly envelopeTo: readonly string[]
  readonly parsed: ParsedMail
}

/** A real SMTP server on loopback that keeps what it takes, and can refuse on request. */
export interface SmtpSink {
  readonly port: number
  readonly mails: CaughtMail[]
  /** Refuses the next `count` recipients with this SMTP reply code (451: try later; 550: never). */
  refuseNext(count: number, code: number): void
  close(): Promise<void>
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: CaughtMail[] = []
  let refusals: { count: number; code: number } = { count: 0, code: 451 }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refusals.count > 0) {
        refusals = { ...refusals, count: refusals.count - 1 }
        const error = new Error(`mailbox ${address.address} unavailable`) as Error & {
          responseCode: number
        }
        error.responseCode = refusals.code
        return callback(error)
      }
      callback()
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          mails.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), parsed })
          callback()
        })
        .catch(callback)
    },
  })
  const port = await reservePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    port,
    mails,
    refuseNext(count, code) {
      refusals = { count, code }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
