import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SMTPServer } from 'smtp-server'

/** The demo's SMTP sink: every node's escalation e-mail lands here, none leaves the machine. */
export interface MailSink {
  readonly host: string
  readonly port: number
  /** Where each message is kept, as `NNNN.eml` (RFC 5322, readable with any mail client). */
  readonly dir: string
  close(): Promise<void>
}

/**
 * Starts an SMTP server on loopback (a free port) that accepts any message without
 * authentication and writes it to `dir`, numbered on from what is there already.
 */
export async function startMailSink(dir: string): Promise<MailSink> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  let count = (await readdir(dir)).filter((name) => name.endsWith('.eml')).length
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    banner: 'Parley demo mail sink: nothing is delivered anywhere',
    onData(stream, _session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        count += 1
        const file = join(dir, `${String(count).padStart(4, '0')}.eml`)
        writeFile(file, Buffer.concat(chunks), { mode: 0o600 }).then(() => callback(), callback)
      })
    },
  })
  const host = '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  const address = server.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    host,
    port,
    dir,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
