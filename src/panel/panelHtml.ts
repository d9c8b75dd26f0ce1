// The panel's HTML shell: strict CSP with a fresh crypto nonce, every control labelled; the script fills in the rest.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function renderPanelHtml(webview: vscode.Webview, distUri: vscode.Uri, mediaUri: vscode.Uri): string {
  const nonce = randomBytes(18).toString('base64');
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
  <h1 class="visually-hidden">Image Studio</h1>
  <div id="token-bar" class="token-bar" role="status" aria-live="polite"></div>
  <div id="no-folder" class="banner" hidden>
    <span class="codicon codicon-folder" aria-hidden="true"></span>
    <span>Open a folder to use the studio: images are saved into the workspace.</span>
    <button id="open-folder" type="button" class="secondary">Open Folder…</button>
  </div>

  <section id="compose" class="section" aria-label="Compose">
    <div class="row between">
      <label id="prompt-label" for="prompt" class="section-title">Prompt</label>
      <select id="recent" class="recent" aria-label="Recent prompts" title="Recent prompts (Alt+Up / Alt+Down in the prompt)"></select>
    </div>
    <div id="refine-chip" class="chip" hidden></div>
    <textarea id="prompt" rows="4" spellcheck="true" placeholder="Describe the image…" aria-describedby="prompt-hint prompt-size"></textarea>
    <div class="row between hint">
      <span id="prompt-hint"></span>
      <span id="prompt-size" aria-live="polite"></span>
    </div>
    <div class="options">
      <div class="option wide">
        <label for="preset">Preset</label>
        <select id="preset" aria-describedby="preset-description"></select>
        <span id="preset-description" class="hint preset-description"></span>
      </div>
      <div class="option wide">
        <label for="model">Model</label>
        <select id="model"></select>
      </div>
      <div class="option">
        <label for="aspect-ratio">Aspect ratio</label>
        <select id="aspect-ratio"></select>
      </div>
      <div class="option">
        <label for="image-size">Size</label>
        <select id="image-size"></select>
      </div>
      <div class="option">
        <label for="output-format">Format</label>
        <select id="output-format"></select>
      </div>
      <div class="option">
        <label for="thinking-level">Thinking</label>
        <select id="thinking-level"></select>
      </div>
      <div class="option">
        <label for="grounding">Google Search</label>
        <select id="grounding"></select>
      </div>
      <div class="option">
        <label for="variants">Images</label>
        <select id="variants"></select>
      </div>
      <div class="option wide check">
        <input id="transparent" type="checkbox" aria-describedby="transparent-hint">
        <label for="transparent">Transparent background</label>
        <span id="transparent-hint" class="visually-hidden">Asks for a flat background and removes it: a PNG with alpha.</span>
      </div>
    </div>
  </section>

  <section id="references" class="section drop-target" aria-labelledby="references-title">
    <div class="row between">
      <h2 id="references-title" class="section-title">References</h2>
      <div class="row">
        <span id="reference-limits" class="hint"></span>
        <button id="add-references" type="button" class="icon-button" aria-label="Add reference images…" title="Add reference images from the workspace…">
          <span class="codicon codicon-add" aria-hidden="true"></span>
        </button>
      </div>
    </div>
    <ul id="reference-list" class="reference-list" aria-label="Reference images, sent in this order"></ul>
    <p id="reference-empty" class="hint empty">Add workspace images with <span class="codicon codicon-add" aria-hidden="true"></span>, drag them here from the Explorer (hold Shift), or right-click one and choose "Add to Gemini Image References".</p>
    <p id="reference-warning" class="warning" hidden></p>
    <p id="reference-notice" class="notice" role="status" aria-live="polite"></p>
  </section>

  <div class="section generate">
    <button id="generate" type="button" class="primary">
      <span class="codicon codicon-sparkle" aria-hidden="true"></span><span id="generate-label">Generate</span>
    </button>
    <p id="generate-notice" class="notice" role="status" aria-live="polite"></p>
  </div>

  <section id="batches" class="section" aria-label="Image batches" hidden>
    <ul id="batch-list" class="job-list"></ul>
    <p id="batch-notice" class="notice" role="status" aria-live="polite"></p>
  </section>

  <section id="jobs" class="section" aria-label="Generations" hidden>
    <ul id="job-list" class="job-list"></ul>
  </section>

  <section id="gallery" class="section" aria-labelledby="gallery-title">
    <div class="row between">
      <h2 id="gallery-title" class="section-title">History</h2>
      <button id="rescan" type="button" class="icon-button" aria-label="Rebuild history from saved images" title="Rebuild history from the recipes in saved images">
        <span class="codicon codicon-refresh" aria-hidden="true"></span>
      </button>
    </div>
    <p id="gallery-summary" class="hint" aria-live="polite"></p>
    <input id="gallery-filter" type="search" placeholder="Filter by prompt or model" aria-label="Filter history by prompt or model">
    <div id="gallery-list" class="gallery-list" role="list" aria-label="Generated images, newest first" tabindex="-1"></div>
    <p id="gallery-empty" class="hint empty" hidden></p>
    <p id="gallery-notice" class="notice" role="status" aria-live="polite"></p>
  </section>
  <script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
