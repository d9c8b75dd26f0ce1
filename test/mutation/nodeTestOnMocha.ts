// The node:test functions our unit tests use, on mocha's runner: Stryker's mocha runner then reruns only the tests that
// reach a mutant, in one long-lived process, instead of starting node once per test file and mutant.
// node:test runs a file's tests and suites in the order they are declared; mocha runs a suite's own tests before its
// child suites, so each test declared outside any describe gets a suite of its own to keep the declared order.
import * as path from 'node:path';

/** The part of node:test's TestContext our tests use. */
interface TestContext {
  readonly name: string;
  skip(message?: string): void;
  diagnostic(message: string): void;
  /** Runs `cleanup` when the test has finished, passed or failed. */
  after(cleanup: () => unknown): void;
}
type Body = (context: TestContext) => unknown;
type Hook = () => unknown;
interface MochaContext {
  skip(): never;
}
/** node:test options; `timeout` is Stryker's to decide (it times each mutant run itself). */
interface TestOptions {
  readonly skip?: boolean | string;
  readonly timeout?: number;
}

interface MochaGlobals {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: (this: MochaContext) => unknown): { file?: string };
  before(body: Hook): unknown;
  after(body: Hook): unknown;
  beforeEach(body: Hook): unknown;
  afterEach(body: Hook): unknown;
}

const mocha = globalThis as unknown as MochaGlobals;
let depth = 0;
/** The unit test file being loaded: Stryker's incremental mode diffs a test's source file to know if it changed. */
let sourceFile: string | undefined;

/** One suite per unit test file, its tests reported as coming from the TypeScript file (not its bundle). */
export function describeFile(file: string, body: () => void): void {
  describe(file, () => {
    sourceFile = path.resolve(file);
    try {
      body();
    } finally {
      sourceFile = undefined;
    }
  });
}

export function describe(name: string, optionsOrBody: TestOptions | (() => void), maybeBody?: () => void): void {
  const body = typeof optionsOrBody === 'function' ? optionsOrBody : maybeBody;
  if (!body) return;
  mocha.describe(name, () => {
    depth++;
    try {
      body();
    } finally {
      depth--;
    }
  });
}

export function test(name: string, optionsOrBody: TestOptions | Body, maybeBody?: Body): void {
  const body = typeof optionsOrBody === 'function' ? optionsOrBody : maybeBody;
  const options = typeof optionsOrBody === 'function' ? {} : optionsOrBody;
  if (!body || options.skip) return;
  // A zero-argument function, so mocha does not take the context parameter for a `done` callback.
  const run = async function (this: MochaContext): Promise<void> {
    const cleanups: (() => unknown)[] = [];
    try {
      await body({ name, skip: () => this.skip(), diagnostic: () => undefined, after: (cleanup) => void cleanups.push(cleanup) });
    } finally {
      for (const cleanup of cleanups) await cleanup();
    }
  };
  const add = (): void => {
    const added = mocha.it(name, run);
    if (sourceFile) added.file = sourceFile;
  };
  if (depth <= 1) mocha.describe(name, add);
  else add();
}

export const it = test;
export const before = (body: Hook): unknown => mocha.before(body);
export const after = (body: Hook): unknown => mocha.after(body);
export const beforeEach = (body: Hook): unknown => mocha.beforeEach(body);
export const afterEach = (body: Hook): unknown => mocha.afterEach(body);
