// The prompt box of Generate/Edit/Refine: Enter runs with the current settings, a button changes options for this run.
import * as vscode from 'vscode';
import type { RunOptions } from '../generation';
import type { ModelCatalog } from '../modelCatalog';
import type { Settings } from '../settings';
import { describeOptions, pickRunOptions } from './runOptionsPicker';

export interface PromptAnswer {
  readonly prompt: string;
  readonly options: RunOptions;
}

const OPTIONS_BUTTON: vscode.QuickInputButton = {
  iconPath: new vscode.ThemeIcon('settings-gear'),
  tooltip: 'Model, aspect ratio, size, format and variants for this run',
};

export async function askForPrompt(
  settings: Settings,
  title: string,
  placeholder: string,
  catalog: ModelCatalog,
  initialOptions: RunOptions = {},
): Promise<PromptAnswer | undefined> {
  let options = initialOptions;
  let value = '';
  for (;;) {
    const answer = await showPromptBox(title, placeholder, value, describeOptions(settings, options, catalog));
    if (answer.kind === 'cancel') return undefined;
    value = answer.value;
    if (answer.kind === 'submit') return { prompt: answer.value, options };
    options = (await pickRunOptions(settings, options, catalog)) ?? options;
  }
}

type BoxAnswer = { kind: 'submit' | 'options'; value: string } | { kind: 'cancel' };

function showPromptBox(title: string, placeholder: string, value: string, optionsText: string): Promise<BoxAnswer> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = title;
    box.placeholder = placeholder;
    box.prompt = `${optionsText} — Enter to run, the gear to change options for this run`;
    box.value = value;
    box.ignoreFocusOut = true;
    box.buttons = [OPTIONS_BUTTON];
    let answered = false;
    const finish = (answer: BoxAnswer): void => {
      answered = true;
      resolve(answer);
      box.dispose();
    };
    box.onDidChangeValue(() => {
      box.validationMessage = undefined;
    });
    box.onDidAccept(() => {
      if (box.value.trim() === '') {
        box.validationMessage = 'Describe the image you want.';
        return;
      }
      finish({ kind: 'submit', value: box.value.trim() });
    });
    box.onDidTriggerButton(() => finish({ kind: 'options', value: box.value }));
    box.onDidHide(() => {
      if (!answered) finish({ kind: 'cancel' });
    });
    box.show();
  });
}
