// The portal's one script, bundled with the protocol's verifier (the same `verifyAgreement` the
// CLI's agreement page and `parley verify` run): the "verify" button of an agreement's page
// fetches the signed agreement file and checks every signature in the visitor's browser. The
// page works without it; only textContent is written, so nothing fetched can become markup.
import { verifyAgreement } from '@parley/protocol'

function say(out: HTMLElement, text: string, state: 'verified' | 'failed' | 'running'): void {
  out.textContent = text
  out.dataset.verification = state
  out.className = `verification ${state}`
}

async function verify(button: HTMLButtonElement, out: HTMLElement): Promise<void> {
  const { agreement: url = '', contentHash = '', lang = 'en' } = button.dataset
  const ru = lang === 'ru'
  say(out, ru ? 'Проверка…' : 'Verifying…', 'running')
  let text: string
  try {
    const response = await fetch(url, { credentials: 'omit' })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    text = await response.text()
  } catch (error) {
    say(
      out,
      `${ru ? 'НЕ ПРОВЕРЕНО: файл не получен' : 'NOT VERIFIED: the file could not be fetched'} (${(error as Error).message}).`,
      'failed',
    )
    return
  }
  const result = await verifyAgreement(text)
  if (!result.ok) {
    say(
      out,
      `${ru ? 'НЕ ПРОВЕРЕНО' : 'NOT VERIFIED'}: ${result.where}: ${result.reason}.`,
      'failed',
    )
    return
  }
  const { agreement } = result
  if (agreement.contentHash !== contentHash) {
    say(
      out,
      ru
        ? 'НЕ ПРОВЕРЕНО: файл подписан для другого текста, чем показан на странице.'
        : 'NOT VERIFIED: the file was signed for another text than this page shows.',
      'failed',
    )
    return
  }
  const parties = agreement.signatories.map((s) => s.party).join(', ')
  say(
    out,
    ru
      ? `Проверено в этом браузере: каждая сторона (${parties}) подписала принятие именно этого текста (SHA-256 ${agreement.contentHash}), и все подписи верны.`
      : `Verified in this browser: every member (${parties}) signed the adoption of exactly this text (SHA-256 ${agreement.contentHash}), and every signature holds.`,
    'verified',
  )
}

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-agreement]')) {
  const out = document.getElementById(button.getAttribute('aria-controls') ?? '')
  if (out === null) continue
  button.hidden = false
  button.addEventListener('click', () => void verify(button, out))
}
