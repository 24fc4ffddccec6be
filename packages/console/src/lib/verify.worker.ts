import { type TranscriptReport, verifyTranscript } from '@parley/protocol'

/** What the page sends: a transcript's text. What comes back: progress, then the report. */
export type VerifyRequest = { readonly transcript: string }
export type VerifyMessage =
  | { readonly kind: 'progress'; readonly done: number; readonly total: number }
  | { readonly kind: 'report'; readonly report: TranscriptReport }

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<VerifyRequest>) => void) | null
  postMessage(message: VerifyMessage): void
}

// The protocol package's own verifier, on its own thread: the page stays responsive while
// every signature is checked, however long the channel.
scope.onmessage = async (event) => {
  const lines = event.data.transcript.split('\n')
  const total = lines.length
  async function* segments() {
    for (const [i, line] of lines.entries()) {
      if (i % 250 === 0) scope.postMessage({ kind: 'progress', done: i, total })
      yield line
    }
  }
  const report = await verifyTranscript(segments())
  scope.postMessage({ kind: 'progress', done: total, total })
  scope.postMessage({ kind: 'report', report })
}
