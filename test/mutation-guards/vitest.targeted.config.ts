import { defineConfig } from 'vitest/config'

/**
 * For targeted mutation runs only (stryker.config.mjs picks it when MUTATION_TESTS is set): the
 * repo's test settings over just the listed test files. Narrowing by this include, rather than
 * by Stryker's --testFiles, keeps static mutants honest: Stryker 9.6 activates a static mutant
 * too late when --testFiles is given and reports it as a false survivor (stryker-js #6144).
 */
const include = (process.env.MUTATION_TESTS ?? '')
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean)

export default defineConfig({
  test: {
    include: include.length > 0 ? include : ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 20_000,
  },
})
