// The panel's HTML shell: strict CSP with a fresh nonce, styles and script served from dist/ and media/.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function renderPanelHtml(webview: vscode.Webview, distUri: vscode.Uri, mediaUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'webview.js'));
  const codicons = webview.asWebviewUri(vscode.Uri.joinPath(distUri, 'codicons', 'codicon.css'));
  const styles = webview.asWebviewUri(vscode.Uri.joinPath(mediaUri, 'panel.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource}`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link href="${codicons}" rel="stylesheet">
  <link href="${styles}" rel="stylesheet">
  <title>Image Studio</title>
</head>
<body>
  <main id="app" aria-live="polite">
    <h1>Image Studio</h1>
    <p>Write a prompt, pick reference images from your workspace, choose model, aspect ratio and size, and browse the images you made. The full studio is on its way; for now you can set the API token here.</p>
    <p id="token-status" role="status"></p>
    <button id="set-token" type="button"><span class="codicon codicon-key" aria-hidden="true"></span> Set API Token…</button>
  </main>
  <script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
