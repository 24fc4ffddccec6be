import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { init, parse } from 'es-module-lexer'

/**
 * The value imports between a tree's TypeScript files, as Node runs them once types are
 * erased: `import type`, `export type` and an import whose every specifier is a `type` load
 * nothing, so they are no edges.
 *
 * dependency-cruiser and madge would be the usual tools; both read TypeScript through its
 * compiler API, which TypeScript 7.0 (this project's compiler) does not offer yet.
 */
export async function valueImports(roots: readonly string[]): Promise<Map<string, string[]>> {
  await init
  const graph = new Map<string, string[]>()
  for (const root of roots) {
    for (const file of tsFiles(root)) {
      const source = readFileSync(file, 'utf8')
      const targets: string[] = []
      for (const entry of parse(source)[0]) {
        const specifier = entry.specifier
        if (
          ('typeOnly' in entry && entry.typeOnly) ||
          typeof specifier !== 'string' ||
          !specifier.startsWith('.')
        )
          continue
        if (onlyTypes(source.slice(entry.importStart, entry.importEnd))) continue
        targets.push(resolve(dirname(file), specifier))
      }
      graph.set(file, targets)
    }
  }
  return graph
}

/** `import { type A, type B } from …`: every named specifier is a type. */
function onlyTypes(statement: string): boolean {
  const clause = /^(?:import|export)\s*\{([^}]*)\}\s*from/.exec(statement)?.[1]
  if (clause === undefined) return false
  const names = clause
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
  return names.every((name) => name.startsWith('type '))
}

function tsFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...tsFiles(path))
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** The cycles of a graph: its strongly connected components of more than one node, or a self-loop. */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm, iterative so a long chain cannot overflow the stack.
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const found: string[][] = []
  for (const start of graph.keys()) {
    if (index.has(start)) continue
    const work: { node: string; edge: number }[] = [{ node: start, edge: 0 }]
    index.set(start, next)
    low.set(start, next++)
    stack.push(start)
    onStack.add(start)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      const edges = graph.get(frame.node) ?? []
      if (frame.edge < edges.length) {
        const to = edges[frame.edge++]!
        if (!graph.has(to)) continue
        if (!index.has(to)) {
          index.set(to, next)
          low.set(to, next++)
          stack.push(to)
          onStack.add(to)
          work.push({ node: to, edge: 0 })
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!))
        }
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent !== undefined) {
        low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!))
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = []
        let member: string
        do {
          member = stack.pop()!
          onStack.delete(member)
          component.push(member)
        } while (member !== frame.node)
        if (component.length > 1 || edges.includes(frame.node)) found.push(component.sort())
      }
    }
  }
  return found
}

/** The graph between groups of files (`groupOf` returns undefined for files outside every group). */
export function groupGraph(
  graph: ReadonlyMap<string, readonly string[]>,
  groupOf: (file: string) => string | undefined,
): Map<string, string[]> {
  const out = new Map<string, Set<string>>()
  for (const [from, targets] of graph) {
    const a = groupOf(from)
    if (a === undefined) continue
    const edges = out.get(a) ?? new Set<string>()
    out.set(a, edges)
    for (const to of targets) {
      const b = groupOf(to)
      if (b !== undefined && b !== a) edges.add(b)
    }
  }
  return new Map([...out].map(([group, edges]) => [group, [...edges]]))
}

/** A path relative to `root`, with forward slashes, for messages. */
export function shown(root: string, file: string): string {
  return relative(root, file).split(sep).join('/')
}
