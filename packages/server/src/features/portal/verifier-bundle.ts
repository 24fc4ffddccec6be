import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/**
 * Bundles the verify button with the protocol's verifier, as the CLI bundles the agreement
 * page's script: one IIFE for browsers, minified, loading nothing else.
 */
export async function bundleVerifier(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./verify-button.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    minify: true,
  })
  return result.outputFiles[0]!.text
}
