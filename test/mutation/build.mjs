// Bundles the unit tests for mutation testing (out/mutation): each file inside a suite of its own, with `node:test`
// served by mocha (nodeTestOnMocha.ts) so Stryker's mocha runner can run them in one process.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const unit = 'test/unit';
const files = fs.readdirSync(unit)
  .filter((name) => name.endsWith('.test.ts'))
  // The test server's own tests and the manifest check reach no src/ code, and the MCP server and package tests run
  // our code in child processes (dist/mcp.js, vsce), where no mutant is switched on or covered: they would only fail
  // for want of dist/ in the sandbox, or slow every run down.
  .filter((name) => !['server.test.ts', 'manifest.test.ts', 'mcpServer.test.ts', 'package.test.ts'].includes(name));
const shim = path.resolve('test/mutation/nodeTestOnMocha.ts');

const nodeTestOnMocha = {
  name: 'node-test-on-mocha',
  setup(build) {
    build.onResolve({ filter: /^node:test$/ }, () => ({ path: shim }));
    build.onResolve({ filter: /^unit-file:/ }, (args) => ({ path: args.path.slice('unit-file:'.length), namespace: 'unit-file' }));
    build.onLoad({ filter: /.*/, namespace: 'unit-file' }, (args) => ({
      resolveDir: path.resolve(unit),
      loader: 'js',
      contents: `const { describeFile } = require(${JSON.stringify(shim)});\n` +
        `describeFile(${JSON.stringify(`${unit}/${args.path}`)}, () => { require(${JSON.stringify(`./${args.path}`)}); });\n`,
    }));
  },
};

fs.rmSync('out/mutation', { recursive: true, force: true });
await esbuild.build({
  entryPoints: Object.fromEntries(files.map((name) => [name.replace(/\.ts$/, ''), `unit-file:${name}`])),
  outdir: 'out/mutation',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  sourcesContent: false,
  packages: 'external',
  external: ['vscode'],
  logLevel: 'warning',
  plugins: [nodeTestOnMocha],
});

// The transparency chunk runs in a worker thread (no mutant is covered there), but a unit test starts that worker
// from dist/ as the extension does: build it into the sandbox's dist/ too.
await esbuild.build({
  entryPoints: { transparency: 'src/core/image/backgroundRemoval.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
});
