import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'

/** The console package's folder. */
export const CONSOLE_DIR = resolve(import.meta.dirname, '..')
/** Where the build goes; the node serves it at `/`. */
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist')
/** Beside the build: the hash of the sources it was built from. */
const STAMP = '.source-hash'

// The bundle holds the console and the two workspace packages it imports.
const SOURCES = [
  CONSOLE_DIR,
  resolve(CONSOLE_DIR, '../api/src'),
  resolve(CONSOLE_DIR, '../protocol/src'),
]
const SKIP = new Set(['node_modules', 'dist', 'test-results', 'e2e', 'scripts'])

async function files(dir: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...(await files(path)))
    else if (!/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith('.md')) found.push(path)
  }
  return found
}

/** A hash of every source file the build reads: content, not mtimes, so a checkout is not stale. */
export async function sourceHash(): Promise<string> {
  const hash = createHash('sha256')
  for (const root of SOURCES) {
    for (const file of (await files(root)).sort()) {
      hash
        .update(relative(CONSOLE_DIR, file))
        .update('\0')
        .update(await readFile(file))
        .update('\0')
    }
  }
  return hash.digest('hex')
}

/** Whether `dist/` is missing or was built from other sources than those on disk now. */
export async function consoleBuildStale(): Promise<boolean> {
  const stamp = join(CONSOLE_DIST, STAMP)
  if (!existsSync(join(CONSOLE_DIST, 'index.html')) || !existsSync(stamp)) return true
  return (await readFile(stamp, 'utf8')).trim() !== (await sourceHash())
}

/**
 * Builds the console into `dist/` when its build is missing or stale (or always, with
 * `force`), and says so on `log`. Returns whether it built.
 */
export async function ensureConsoleBuilt(
  options: { force?: boolean; log?: (line: string) => void } = {},
): Promise<boolean> {
  if (options.force !== true && !(await consoleBuildStale())) return false
  options.log?.('Building the web console…')
  const hash = await sourceHash()
  const { build } = await import('vite')
  // React's production build and JSX transform, whatever NODE_ENV the caller has (Vitest's
  // `test` would give a development bundle half again as large).
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({
      configFile: join(CONSOLE_DIR, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
    })
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = nodeEnv
  }
  await writeFile(join(CONSOLE_DIST, STAMP), `${hash}\n`)
  return true
}

if (import.meta.main) {
  await ensureConsoleBuilt({
    force: process.argv.includes('--force'),
    log: (line) => process.stdout.write(`${line}\n`),
  })
}
