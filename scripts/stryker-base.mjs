// What every mutation target shares (stryker.<target>.config.mjs).

/**
 * @param {string} target a key of vitest.mutation.config.ts's TESTS
 * @param {string[]} files the globs of the source files to mutate
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function strykerConfig(target, files) {
  // The Vitest config reads it in Stryker's test-runner processes, which inherit it.
  process.env.PARLEY_MUTATION_TARGET = target
  const reports = `reports/mutation/${target}`
  return {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: 'vitest.mutation.config.ts' },
    // Each mutant runs only the tests that reached it in the dry run.
    coverageAnalysis: 'perTest',
    mutate: [...files, '!**/*.test.ts', '!**/*.d.ts'],
    // Two cores shared by a team: one test runner unless asked (--concurrency N).
    concurrency: 1,
    // A rerun re-tests only the mutants whose code or covering tests changed; results of
    // files outside a --mutate run are kept, so file-by-file runs add up to the target's report.
    incremental: true,
    incrementalFile: `${reports}/incremental.json`,
    reporters: ['clear-text', 'progress', 'html', 'json'],
    htmlReporter: { fileName: `${reports}/index.html` },
    jsonReporter: { fileName: `${reports}/mutation.json` },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    // Mutants that make a test hang (an endless loop) are killed by timeout, not waited for.
    timeoutMS: 30_000,
    ignorePatterns: [
      'reports',
      'coverage',
      'bench-out',
      'parley-demo',
      'parley-data',
      '.parley',
      'data',
      'tmp',
    ],
  }
}
