import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { cycles, groupGraph, shown, valueImports } from './support/import-graph.ts'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const packages = ['protocol', 'server', 'cli', 'api', 'console', 'consent']
  .map((name) => join(repo, 'packages', name, 'src'))
  .filter((dir) => existsSync(dir))
const server = join(repo, 'packages/server/src')
const graph = await valueImports(packages)

/** `features/<name>` for a file of a feature folder. */
function featureOf(file: string): string | undefined {
  const path = shown(server, file)
  const match = /^features\/([^/]+)\//.exec(path)
  return match === null ? undefined : `features/${match[1]}`
}

/** The layers below the features: the node's core, the ledger, the store, the wire layer, HTTP. */
function coreOf(file: string): string | undefined {
  const match = /^(node|ledger|store|signed-http|http)\//.exec(shown(server, file))
  return match?.[1]
}

describe('the import graph', () => {
  it('has no value-import cycle between files, in any package', () => {
    const found = cycles(graph).map((cycle) => cycle.map((file) => shown(repo, file)))
    expect(found).toEqual([])
  })

  it('has no value-import cycle between feature folders', () => {
    const found = cycles(groupGraph(graph, featureOf))
    expect(found).toEqual([])
  })

  it('keeps the core below the features: node, ledger, store, signed-http and http import no feature', () => {
    const upward: string[] = []
    for (const [from, targets] of graph) {
      if (coreOf(from) === undefined) continue
      for (const to of targets) {
        if (featureOf(to) !== undefined)
          upward.push(`${shown(server, from)} → ${shown(server, to)}`)
      }
    }
    expect(upward).toEqual([])
  })

  it("lets a feature reach another feature's data only through its service", () => {
    const reaching: string[] = []
    for (const [from, targets] of graph) {
      const own = featureOf(from)
      if (own === undefined) continue
      for (const to of targets) {
        const other = featureOf(to)
        if (other !== undefined && other !== own && /\.(repository|table)\.ts$/.test(to)) {
          reaching.push(`${shown(server, from)} → ${shown(server, to)}`)
        }
      }
    }
    expect(reaching).toEqual([])
  })
})

describe('the cycle check itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-imports-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }

  it('finds a value cycle, and ignores type-only and emptied imports', async () => {
    write('a.ts', "import { b } from './b.ts'\nexport const a = () => b\n")
    write('b.ts', "import { c } from './c.ts'\nexport const b = c\n")
    write('c.ts', "import { a } from './a.ts'\nexport const c = 1\nexport const d = a\n")
    write('t1.ts', "import type { T2 } from './t2.ts'\nexport type T1 = T2\nexport const t1 = 1\n")
    write(
      't2.ts',
      "import { type T1, t1 } from './t1.ts'\nexport type T2 = T1\nexport const t2 = t1\n",
    )
    write('t3.ts', "import { type T4 } from './t4.ts'\nexport type T3 = T4\n")
    write('t4.ts', "import { type T3 } from './t3.ts'\nexport type T4 = T3\n")
    const found = cycles(await valueImports([dir])).map((cycle) => cycle.map((f) => shown(dir, f)))
    expect(found).toEqual([['a.ts', 'b.ts', 'c.ts']])
  })

  it('finds a cycle between folders that no two files close', () => {
    const files = new Map([
      ['/x/features/a/a.plugin.ts', ['/x/features/b/b.service.ts']],
      ['/x/features/b/b.plugin.ts', ['/x/features/a/a.service.ts']],
      ['/x/features/a/a.service.ts', []],
      ['/x/features/b/b.service.ts', []],
    ])
    expect(cycles(files)).toEqual([])
    const folders = groupGraph(files, (file) => /features\/([^/]+)\//.exec(file)?.[1])
    expect(cycles(folders)).toEqual([['a', 'b']])
  })
})
