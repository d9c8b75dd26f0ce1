// Side panel script: shows the token state for the current host and asks the host to run commands.
import type { HostToWebview, WebviewToHost } from '../shared/protocol';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const status = document.getElementById('token-status');
const setTokenButton = document.getElementById('set-token');

setTokenButton?.addEventListener('click', () => vscode.postMessage({ type: 'setToken' }));

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const message = event.data;
  if (message.type === 'state' && status) {
    status.textContent = message.state.hasToken
      ? `API token set for ${message.state.host}.`
      : `No API token for ${message.state.host} yet.`;
  }
});

vscode.postMessage({ type: 'ready' });
