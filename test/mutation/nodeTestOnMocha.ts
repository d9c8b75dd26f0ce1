// The node:test functions our unit tests use, on mocha's runner: Stryker's mocha runner then reruns only the tests that
// reach a mutant, in one long-lived process, instead of starting node once per test file and mutant.
// node:test runs a file's tests and suites in the order they are declared; mocha runs a suite's own tests before its
// child suites, so each test declared outside any describe gets a suite of its own to keep the declared order.
import * as path from 'node:path';

type Body = (this: unknown) => unknown;

interface MochaGlobals {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: Body): { file?: string };
  before(body: Body): unknown;
  after(body: Body): unknown;
  beforeEach(body: Body): unknown;
  afterEach(body: Body): unknown;
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

export function describe(name: string, body: () => void): void {
  mocha.describe(name, () => {
    depth++;
    try {
      body();
    } finally {
      depth--;
    }
  });
}

export function test(name: string, body: Body): void {
  const add = (): void => {
    const added = mocha.it(name, body);
    if (sourceFile) added.file = sourceFile;
  };
  if (depth <= 1) mocha.describe(name, add);
  else add();
}

export const it = test;
export const before = (body: Body): unknown => mocha.before(body);
export const after = (body: Body): unknown => mocha.after(body);
export const beforeEach = (body: Body): unknown => mocha.beforeEach(body);
export const afterEach = (body: Body): unknown => mocha.afterEach(body);
