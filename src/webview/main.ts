// Side panel script: wires compose, references, jobs and the gallery to the host's messages (ready handshake first).
import type { HistoryItem, HostToWebview, ImageAction, PanelState } from '../shared/protocol';
import { AUTO } from '../shared/protocol';
import { Batches } from './batches';
import { Compose, fit } from './compose';
import { byId, el, icon, iconButton, textButton } from './dom';
import { baseName } from './format';
import { Gallery } from './gallery';
import { HostChannel } from './host';
import { Jobs } from './jobs';
import { References } from './references';

const host = new HostChannel();
let state: PanelState | undefined;

const imageAction = async (action: ImageAction, path: string): Promise<void> => {
  const reply = await host.request({ type: 'imageAction', action, path });
  if (!reply.ok || reply.message) gallery.showNotice(reply.message, reply.ok ? 'info' : 'error');
};

const gallery = new Gallery({
  open: (path) => void imageAction('open', path),
  reveal: (path) => void imageAction('reveal', path),
  copyPath: (path) => void imageAction('copyPath', path),
  useAsReference: (path) => void references.addPaths([path]),
  refine: (path) => {
    window.scrollTo({ top: 0 });
    compose.startRefining(path);
  },
  generateAgain: (item) => void generateAgain(item),
});

const compose = new Compose(host, {
  itemFor: (path) => gallery.itemFor(path),
  onStarted: () => jobs.scrollIntoView(),
  onChanged: () => state && references.renderLimits(state),
});

const references = new References(
  host,
  () => byId<HTMLTextAreaElement>('prompt').value,
  () => state?.models.find((model) => model.id === byId<HTMLSelectElement>('model').value),
);

const batches = new Batches(host);

const jobs = new Jobs(host, (path) => gallery.itemFor(path), (path) => void imageAction('open', path));

byId('open-folder').addEventListener('click', () => host.send({ type: 'runCommand', command: 'openFolder' }));
byId('rescan').addEventListener('click', () => void rescan());

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case 'state':
      state = message.state;
      renderTokenBar(message.state);
      byId('no-folder').hidden = message.state.hasWorkspace;
      compose.update(message.state);
      references.update(message.state);
      batches.update(message.state.batches);
      jobs.update(message.state.jobs);
      return;
    case 'history':
      gallery.setItems(message.items, message.scanning);
      jobs.refreshThumbnails();
      compose.refresh();
      return;
    case 'historyAdded':
      gallery.add(message.items);
      jobs.refreshThumbnails();
      return;
    case 'reply':
      host.resolve(message);
      return;
  }
});

function renderTokenBar(panel: PanelState): void {
  const bar = byId('token-bar');
  bar.classList.toggle('missing', !panel.hasToken);
  const setToken = (): void => host.send({ type: 'runCommand', command: 'setToken' });
  bar.replaceChildren(
    icon(panel.hasToken ? 'pass' : 'warning'),
    el('span', {
      className: 'token-text',
      text: panel.hasToken ? `Token set for ${panel.host}` : `No API token for ${panel.host}`,
      title: panel.hasToken ? `An API token for ${panel.host} is stored in VS Code's secret storage.` : '',
    }),
    panel.hasToken
      ? iconButton('key', `Change the API token for ${panel.host}…`, setToken)
      : textButton('key', 'Set API Key…', 'secondary', setToken),
  );
}

/** Runs a gallery image's recipe again; if it cannot be sent as it is, puts it in the form instead. */
async function generateAgain(item: HistoryItem): Promise<void> {
  const model = state?.models.find((candidate) => candidate.id === item.model);
  if (!state || !model) {
    compose.fill(item.prompt, {});
    compose.showNotice(`${item.model} is not in the model list: choose a model, then Generate.`, 'error');
    return;
  }
  const choices = fit(
    {
      model: model.id,
      aspectRatio: item.aspectRatio ?? AUTO,
      imageSize: item.imageSize ?? AUTO,
      outputFormat: outputFormatOf(item.outputFormat),
      thinkingLevel: AUTO,
      grounding: false,
      variants: 1,
    },
    model,
  );
  if (item.references.length > 0 && !item.referencesArePaths) {
    compose.fill(item.prompt, choices);
    compose.showNotice(`Add the references it was made from (${item.references.join(', ')}), then Generate.`);
    return;
  }
  const reply = await host.request({
    type: 'generate',
    prompt: item.prompt,
    choices,
    references: [...item.references],
    ...(item.refinedFrom ? { refine: item.refinedFrom } : {}),
  });
  if (reply.ok) jobs.scrollIntoView();
  else gallery.showNotice(`Could not generate ${baseName(item.path)} again: ${reply.message ?? 'refused'}`, 'error');
}

function outputFormatOf(value: string | undefined): 'auto' | 'png' | 'jpeg' {
  return value === 'png' || value === 'jpeg' ? value : AUTO;
}

async function rescan(): Promise<void> {
  gallery.showNotice('Looking for saved images…');
  const reply = await host.request({ type: 'rescanHistory' });
  gallery.showNotice(reply.message, reply.ok ? 'info' : 'error');
}

host.send({ type: 'ready' });
