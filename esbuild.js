// Builds the extension host bundle, the lazily loaded HTTP and transparency chunks, the MCP server, the webview bundle and (with --tests) the test code.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

/** Reports build results the way VS Code's esbuild problem matcher expects. */
const problemMatcherPlugin = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => {
      if (watch) console.log('[watch] build started');
    });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log('[watch] build finished');
    });
  },
};

function copyCodicons() {
  const from = path.join(__dirname, 'node_modules', '@vscode', 'codicons', 'dist');
  const to = path.join(__dirname, 'dist', 'codicons');
  fs.mkdirSync(to, { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(from, file), path.join(to, file));
}

function listFiles(dir, suffix) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(suffix) && !name.endsWith('.d.ts'))
    .map((name) => path.join(dir, name));
}

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [problemMatcherPlugin],
};

/** The MCP SDK's Ajv validator, used only for elicitation (which our server never does), replaced by a small stub. */
const withoutSchemaValidator = {
  name: 'without-schema-validator',
  setup(build) {
    build.onResolve({ filter: /validation[\\/]ajv-provider\.js$/ }, () => ({
      path: path.join(__dirname, 'src', 'mcp', 'noSchemaValidator.ts'),
    }));
  },
};

/** The bundles Node.js runs (extension host, lazily loaded chunks, MCP server), each a file of its own in dist/. */
const nodeBundle = { ...common, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] };

function productContexts() {
  return [
    // Extension host: everything activate() needs, and nothing heavy.
    {
      ...nodeBundle,
      entryPoints: { extension: 'src/extension.ts' },
    },
    // HTTP chunk with undici: required on first request only, so activation stays fast.
    {
      ...nodeBundle,
      entryPoints: { http: 'src/http/index.ts' },
    },
    // Background removal with pngjs and jpeg-js: required when a transparent image arrives, never at activation.
    {
      ...nodeBundle,
      entryPoints: { transparency: 'src/core/image/backgroundRemoval.ts' },
    },
    // MCP server for agents outside VS Code (`node dist/mcp.js`): the SDK bundled in, undici from dist/http.js beside it.
    {
      ...nodeBundle,
      entryPoints: { mcp: 'src/mcp/main.ts' },
      plugins: [...common.plugins, withoutSchemaValidator],
    },
    // Side panel script, runs in the webview.
    {
      ...common,
      entryPoints: { webview: 'src/webview/main.ts' },
      outdir: 'dist',
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
    },
  ];
}

function testContexts() {
  const entryPoints = [
    ...listFiles('test/unit', '.test.ts'),
    ...listFiles('test/integration', '.ts'),
    ...listFiles('test/ui', '.ts'),
    ...listFiles('test/runner', '.ts'),
    ...listFiles('test/server', '.ts'),
    ...listFiles('test/bench', '.ts'),
  ];
  return [
    {
      ...common,
      minify: false,
      entryPoints,
      outbase: 'test',
      outdir: 'out',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      external: ['vscode'],
    },
  ];
}

async function main() {
  const configs = tests ? testContexts() : productContexts();
  // A release must hold only this build's files: stale bundles and source maps of earlier builds would ship too.
  if (production && !tests) fs.rmSync(path.join(__dirname, 'dist'), { recursive: true, force: true });
  if (!tests) copyCodicons();
  const contexts = await Promise.all(configs.map((config) => esbuild.context(config)));
  if (watch) {
    await Promise.all(contexts.map((context) => context.watch()));
    return;
  }
  try {
    const results = await Promise.all(contexts.map((context) => context.rebuild()));
    if (results.some((result) => result.errors.length > 0)) process.exitCode = 1;
  } finally {
    await Promise.all(contexts.map((context) => context.dispose()));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
