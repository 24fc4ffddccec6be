import { fileURLToPath } from 'node:url'
import { toBase64Url } from '@parley/protocol'
import { build } from 'esbuild'

let bundled: Promise<string> | undefined

/** The page script with the protocol's verifier, bundled once per process. */
function pageScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    minify: true,
  }).then((result) => result.outputFiles[0]!.text.replaceAll('</script', '<\\/script'))
  return bundled
}

const STYLE = [
  'body{font:16px/1.5 system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}',
  '#status{padding:.75rem 1rem;border-radius:.25rem;background:#eee}',
  '#status.verified{background:#e3f5e1;color:#1d5e1a}',
  '#status.failed{background:#fbe3e3;color:#8a1212;font-weight:bold}',
  'li{margin:.5rem 0}.meta{color:#555;font-size:.875rem}',
].join('')

function base64(bytes: Uint8Array): string {
  return toBase64Url(bytes)
    .replaceAll('-', '+')
    .replaceAll('_', '/')
    .padEnd(Math.ceil(bytes.length / 3) * 4, '=')
}

/**
 * A self-contained page for an agreement file: the file itself (base64, byte for byte), and
 * the verifier that checks it offline when the page opens. Nothing is loaded from anywhere.
 */
export async function agreementHtml(file: string): Promise<string> {
  const script = await pageScript()
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">`,
    '<title>Parley agreement</title>',
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main id="out"><p id="status">Verifying the signatures… (this page needs JavaScript)</p></main>',
    `<script type="application/octet-stream" id="agreement">${base64(new TextEncoder().encode(file))}</script>`,
    `<script>${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}

/** The agreement file embedded in a page made by {@link agreementHtml}, or undefined. */
export function embeddedAgreement(page: string): string | undefined {
  const match =
    /<script type="application\/octet-stream" id="agreement">([A-Za-z0-9+/=]*)<\/script>/.exec(page)
  if (match === null) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(match[1]!, 'base64'))
  } catch {
    return undefined
  }
}
