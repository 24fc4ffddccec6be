import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import { ConsentConfigSchema } from '../src/config.ts'

/** The consent package's folder. */
export const CONSENT_DIR = resolve(import.meta.dirname, '..')
/** Where the bundle goes: the portal serves it at `/public/assets/`. */
export const CONSENT_DIST = join(CONSENT_DIR, 'dist')

/**
 * Bundles and minifies the manager into `dist/consent.js` and `dist/consent.css`, and writes
 * the config's JSON Schema beside them.
 */
export async function buildConsent(): Promise<void> {
  await mkdir(CONSENT_DIST, { recursive: true })
  const common = { bundle: true, minify: true, write: true, logLevel: 'warning' } as const
  await build({
    ...common,
    entryPoints: [join(CONSENT_DIR, 'src/main.ts')],
    outfile: join(CONSENT_DIST, 'consent.js'),
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    legalComments: 'none',
  })
  await build({
    ...common,
    entryPoints: [join(CONSENT_DIR, 'src/consent.css')],
    outfile: join(CONSENT_DIST, 'consent.css'),
    target: 'chrome100',
  })
  await writeFile(
    join(CONSENT_DIST, 'consent-config.schema.json'),
    `${JSON.stringify(ConsentConfigSchema, null, 2)}\n`,
  )
}

if (import.meta.main) await buildConsent()
