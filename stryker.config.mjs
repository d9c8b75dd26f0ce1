// Mutation testing (npm run test:mutation): plausible bugs put into src/core and the panel's message validation must make a unit test fail.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['src/core/**/*.ts', 'src/panel/messageValidation.ts'],
  // The unit tests run from esbuild bundles, as `npm run test:unit` runs them, built once per sandbox from the
  // instrumented sources (which hold every mutant at once, switched on per run). test/mutation/build.mjs serves their
  // node:test calls with mocha, so one process reruns only the tests that reach each mutant.
  buildCommand: 'node test/mutation/build.mjs',
  testRunner: 'mocha',
  mochaOptions: { spec: ['out/mutation/*.test.js'], 'no-config': true, 'no-package': true },
  coverageAnalysis: 'perTest',
  // A mutant in module-level code (a table, a constant regex) needs every test in a fresh process: ~1 min each here.
  ignoreStatic: true,
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // Reruns test only mutants whose code or covering tests changed; the file stays local (git-ignored), see TESTING.md.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // The machine is shared: one or two test processes at a time.
  concurrency: 2,
  timeoutMS: 20000,
  ignorePatterns: ['out', 'dist', 'reports', '.vscode-test', 'test-results', '*.vsix'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // break: below the combined score of every file's latest measurement with survivors rechecked (TESTING.md, third pass).
  thresholds: { high: 90, low: 85, break: 89 },
};
