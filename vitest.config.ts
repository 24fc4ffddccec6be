import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

// Three kinds of test, one project each:
// - unit: beside the code, no database, no network (packages/*/src);
// - integration: apps built in-process and driven with inject() or on loopback
//   (packages/server/test), on PGlite or PostgreSQL;
// - system: whole federations of nodes, spawned or in-process, under faults, fuzzing or a
//   day's story.
// PARLEY_TEST_DB selects the engine of the server suites: unset for PGlite, `postgres` for
// PostgreSQL, `both` for both at once (scripts/test.sh), so that one run keeps both cores busy.
const SYSTEM = [
  'packages/cli/src/commands/demo.test.ts',
  'packages/server/test/chaos.test.ts',
  'packages/server/test/federation-fuzz.test.ts',
  'packages/server/test/fork-split.test.ts',
  'packages/server/test/node.test.ts',
  'packages/server/test/scenario.test.ts',
]
/** System tests that run on the embedded database whatever PARLEY_TEST_DB says: once is enough. */
const EMBEDDED_ONLY = ['packages/cli/src/commands/demo.test.ts']
const GLOBAL_SETUP = ['packages/server/test/support/global-setup.ts']
/** In every test file: one fast-check seed per run, fixed unless exploring (support/seeds.ts). */
const SETUP = ['packages/server/test/support/property-seed.ts']

// Tests start hundreds of node processes (the CLI, whole nodes); V8's code cache on disk
// spares each the compilation of the same modules. The workers and their children inherit it.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'parley-compile-cache')

const requested = process.env.PARLEY_TEST_DB
const dialects =
  requested === 'both' ? ['pglite', 'postgres'] : [requested === 'postgres' ? 'postgres' : 'pglite']

const serverProjects = (dialect: string): TestProjectInlineConfiguration[] => {
  const suffix = dialects.length > 1 && dialect === 'postgres' ? ' (postgres)' : ''
  const env = { PARLEY_TEST_DB: dialect }
  return [
    {
      test: {
        name: `integration${suffix}`,
        include: ['packages/*/test/**/*.test.ts'],
        exclude: SYSTEM,
        // Each file builds its own apps on its own databases and leaves no state behind, so one
        // worker process runs file after file without loading the server's modules again for
        // each: 30 % less CPU for the integration project (234 against 340 CPU-s on PGlite,
        // 2026-12-08). A file that needs a fresh module state belongs in the system project.
        isolate: false,
        env,
        globalSetup: GLOBAL_SETUP,
        setupFiles: SETUP,
      },
    },
    {
      test: {
        name: `system${suffix}`,
        include: SYSTEM,
        // `parley demo` always runs its nodes on PGlite: with both engines, only PGlite's pass runs it.
        exclude: dialects.length > 1 && dialect === 'postgres' ? EMBEDDED_ONLY : [],
        env,
        globalSetup: GLOBAL_SETUP,
        setupFiles: SETUP,
      },
    },
  ]
}

/**
 * Vitest's order (slowest or largest first), except that the chaos run starts first and, when
 * both engines run, the one on PGlite last: the chaos run on PostgreSQL is the longest file,
 * and two side by side would put six nodes' restarts on two cores at once.
 */
class ChaosRunsApart extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const chaos = (file: TestSpecification) => file.moduleId.endsWith('/chaos.test.ts')
    const twice = files.filter(chaos).length > 1
    const rank = (file: TestSpecification) => {
      if (!chaos(file)) return 1
      return !twice || file.project.config.env.PARLEY_TEST_DB === 'postgres' ? 0 : 2
    }
    return (await super.sort(files)).toSorted((a, b) => rank(a) - rank(b))
  }
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest leaves one core to itself by default; its main process is mostly idle, and many
    // tests wait on sockets and child processes, so every core runs a test file.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: ChaosRunsApart },
    projects: [
      // Unit tests touch no database: one engine is enough.
      ...(dialects.includes('pglite')
        ? [
            {
              test: {
                name: 'unit',
                include: ['packages/*/src/**/*.test.ts'],
                exclude: SYSTEM,
                setupFiles: SETUP,
              },
            },
          ]
        : []),
      ...dialects.flatMap(serverProjects),
      // The web console in Debian's Chromium, against nodes on PGlite: once per run.
      ...(dialects.includes('pglite')
        ? [
            {
              test: {
                name: 'console',
                include: ['packages/console/e2e/**/*.test.ts'],
                env: { PARLEY_TEST_DB: 'pglite' },
                globalSetup: [...GLOBAL_SETUP, 'packages/console/e2e/global-setup.ts'],
                setupFiles: SETUP,
              },
            },
          ]
        : []),
      // The consent manager in Debian's Chromium, on a static fixture site: no node, once per run.
      ...(dialects.includes('pglite')
        ? [
            {
              test: {
                name: 'consent',
                include: ['packages/consent/e2e/**/*.test.ts'],
                globalSetup: ['packages/consent/e2e/global-setup.ts'],
                setupFiles: SETUP,
                // A browser on a busy machine: what it does after a click may take a while.
                expect: { poll: { timeout: 10_000 } },
              },
            },
          ]
        : []),
    ],
  },
})
