// VS Code's http.proxy in a real extension host: loopback goes direct, and a proxy that drops the tunnel fails fast.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as vscode from 'vscode';
import { SENTINEL_TOKEN } from '../sentinel';
import { geminiServerUrl, recordedRequests, resetServer } from './geminiAdmin';
import { rejection } from './rejection';

interface GenerateResult {
  files: string[];
}

/** What a proxy saw: every TCP connection, and the CONNECT or absolute-URI target of each that sent a request line. */
interface TestProxy {
  readonly url: string;
  readonly targets: string[];
  connections(): number;
  close(): Promise<void>;
}

/**
 * A broken proxy on 127.0.0.1: it reads the request line (so the test knows which host the connection was for; VS
 * Code's own traffic may use http.proxy too) and closes the connection without an answer.
 */
async function startClosingProxy(): Promise<TestProxy> {
  let connections = 0;
  const targets: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      targets.push(chunk.toString('latin1').split('\r\n')[0]);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function withSetting<T>(section: string, key: string, value: unknown, target: vscode.ConfigurationTarget, run: () => Promise<T>): Promise<T> {
  const config = vscode.workspace.getConfiguration(section);
  const inspected = config.inspect(key);
  const previous = target === vscode.ConfigurationTarget.Global ? inspected?.globalValue : inspected?.workspaceValue;
  await config.update(key, value, target);
  try {
    return await run();
  } finally {
    await vscode.workspace.getConfiguration(section).update(key, previous, target);
  }
}


suite('Proxies (http.proxy)', () => {
  suiteSetup(async () => {
    const extension = vscode.extensions.all.find((candidate) => candidate.packageJSON?.name === 'gemini-image-studio');
    assert.ok(extension, 'extension not found');
    await extension.activate();
    await vscode.commands.executeCommand('geminiImage.setToken', { token: SENTINEL_TOKEN });
  });

  setup(async () => {
    await resetServer();
  });

  test('a loopback base URL goes direct even when http.proxy is set: the proxy never sees the request or the token', async () => {
    const proxy = await startClosingProxy();
    try {
      const result = await withSetting('http', 'proxy', proxy.url, vscode.ConfigurationTarget.Global, async () =>
        (await vscode.commands.executeCommand('geminiImage.generate', { prompt: 'A fox at home' })) as GenerateResult,
      );
      assert.equal(result.files.length, 1);
      const port = new URL(geminiServerUrl()).port;
      assert.deepEqual(proxy.targets.filter((line) => line.includes(`:${port}`)), [], 'the request to the local server went through the proxy');
      const [request] = await recordedRequests();
      assert.equal(request.headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
      await vscode.workspace.fs.delete(vscode.Uri.file(result.files[0]));
    } finally {
      await proxy.close();
    }
  });

  test('a proxy that closes the connection before the tunnel: the generation fails in seconds, naming the proxy, after at most 3 connections', async () => {
    const proxy = await startClosingProxy();
    const gateway = 'https://gemini-gateway.test';
    try {
      const { error, elapsedMs } = await withSetting('geminiImage', 'baseUrl', gateway, vscode.ConfigurationTarget.Workspace, async () => {
        await vscode.commands.executeCommand('geminiImage.setToken', { token: SENTINEL_TOKEN });
        return withSetting('http', 'proxy', proxy.url, vscode.ConfigurationTarget.Global, async () => {
          const started = Date.now();
          const failed = await rejection(() => vscode.commands.executeCommand('geminiImage.generate', { prompt: 'A fox behind a broken proxy' }));
          return { error: failed, elapsedMs: Date.now() - started };
        });
      });
      const proxyHost = new URL(proxy.url).host;
      assert.ok(error.message.includes(`The proxy ${proxyHost} closed the connection before the tunnel to gemini-gateway.test was set up`), error.message);
      assert.match(error.message, /http\.proxy \/ HTTPS_PROXY.*http\.noProxy/);
      const ours = proxy.targets.filter((line) => line.includes('gemini-gateway.test'));
      console.log(`    closing proxy: ${ours.length} connection(s) for the gateway (${proxy.connections()} in all), error after ${elapsedMs} ms`);
      assert.ok(ours.length >= 1 && ours.length <= 3, `${ours.length} connections to the proxy for one generation: ${JSON.stringify(proxy.targets)}`);
    } finally {
      await proxy.close();
    }
  });
});
