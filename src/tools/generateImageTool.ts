// The Language Model Tool agents call in VS Code's agent mode: confirms what will be sent and where, then runs a job.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { confirmationLines, describeAgentResult, parseAgentRequest, stemFor, type AgentImageRequest } from '../core/jobs/agentRequest';
import { isInside } from '../core/outputFolder';
import { hostOf } from '../core/origin';
import type { GenerationRequest, ImageGenerator, RunOptions } from '../generation';
import type { Log } from '../log';
import type { ModelCatalog } from '../modelCatalog';
import { withPreset } from '../presets';
import { readSettings, type Settings } from '../settings';

export const GENERATE_IMAGE_TOOL = 'geminiImage_generateImage';

export function registerGenerateImageTool(generator: ImageGenerator, log: Log, catalog: ModelCatalog): vscode.Disposable {
  return vscode.lm.registerTool<unknown>(GENERATE_IMAGE_TOOL, new GenerateImageTool(generator, log, catalog));
}

class GenerateImageTool implements vscode.LanguageModelTool<unknown> {
  constructor(
    private readonly generator: ImageGenerator,
    private readonly log: Log,
    private readonly catalog: ModelCatalog,
  ) {}

  async prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<unknown>): Promise<vscode.PreparedToolInvocation> {
    const settings = readSettings();
    let request: AgentImageRequest;
    let generation: GenerationRequest;
    let destination: string;
    try {
      request = parseAgentRequest(options.input);
      generation = toGeneration(request);
      const folder = await this.generator.outputFolder(settings, generation);
      // A transparent background is always saved as PNG (alpha); otherwise the image's own format decides.
      destination = `${relative(folder)}/${stemFor(request)}.${generation.options.background === 'transparent' ? 'png (transparent background)' : '<png|jpg>'}`;
    } catch (error) {
      // Nothing will be sent: invoke() throws the same reason for the agent, no confirmation needed.
      return { invocationMessage: `Not generating an image: ${messageOf(error)}` };
    }
    const model = generation.options.model ?? settings.model;
    const autoPick = await this.autoPick(model, settings, generation.options.imageSize);
    const message = new vscode.MarkdownString(undefined, false);
    const lines = confirmationLines({ request, model, autoPick, host: hostOf(settings.baseUrl), uploads: generation.references.map(relative), destination });
    // Every value is the agent's or the settings' text: appended as text, so it can never become a link or markup.
    for (const [label, text] of lines) message.appendMarkdown(`**${label}:** `).appendText(text).appendMarkdown('\n\n');
    return {
      invocationMessage: `Generating an image with ${autoPick ?? model}…`,
      confirmationMessages: { title: 'Generate an image with Gemini?', message },
    };
  }

  /** The model `auto` will send (the provider's list, read at most once a day); undefined for a named model. */
  private async autoPick(model: string, settings: Settings, imageSize: string | undefined): Promise<string | undefined> {
    try {
      const resolved = await this.catalog.resolve(model, settings, imageSize);
      return resolved.auto ? resolved.id : undefined;
    } catch {
      return undefined;
    }
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<unknown>, cancellation: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const settings: Settings = readSettings();
    const request = parseAgentRequest(options.input);
    const generation = toGeneration(request);
    await checkReadable(generation.references);
    try {
      const outcome = await this.generator.run(settings, generation, cancellation);
      const text = describeAgentResult({
        files: outcome.files.map(relative),
        texts: outcome.texts.map((line) => this.log.redact(line)),
        finishReasons: outcome.finishReasons,
        usage: outcome.usage,
        failures: outcome.failures.map((line) => this.log.redact(line)),
        warnings: outcome.warnings.map((line) => this.log.redact(line)),
        model: outcome.model,
      });
      return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(text)]);
    } catch (error) {
      const message = this.log.redact(messageOf(error));
      this.log.warn(`Agent tool: ${message}`);
      throw new Error(message);
    }
  }
}

/** The agent's request in the generator's terms; throws (naming the path) for a reference outside the workspace. */
function toGeneration(request: AgentImageRequest): GenerationRequest {
  const options: { -readonly [K in keyof RunOptions]: RunOptions[K] } = { variants: 1 };
  // Only what the agent chose overrides the settings.
  if (request.model !== undefined) options.model = request.model;
  if (request.aspectRatio !== undefined) options.aspectRatio = request.aspectRatio;
  if (request.imageSize !== undefined) options.imageSize = request.imageSize;
  if (request.outputFolder !== undefined) options.outputFolder = request.outputFolder;
  if (request.preset !== undefined) options.preset = request.preset;
  // "opaque" is present but undefined: it wins over a transparent preset, like "auto" for the other options.
  if (request.background !== undefined) options.background = request.background === 'transparent' ? 'transparent' : undefined;
  // A preset wraps the prompt and fills the options the agent left out (an unknown name throws the user's message).
  return withPreset({ prompt: request.prompt, references: request.references.map(referenceUri), options, fileStem: request.fileStem });
}

function referenceUri(reference: string): vscode.Uri {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new Error('Open a folder first: reference images must be inside the workspace.');
  const uri = path.isAbsolute(reference) ? vscode.Uri.file(reference) : vscode.Uri.joinPath(folders[0].uri, reference);
  const normalized = path.posix.normalize(uri.path);
  const inside = folders.some((folder) => folder.uri.scheme === uri.scheme && isInside(folder.uri.path, normalized));
  if (!inside) throw new Error(`The reference "${reference}" is outside the workspace; only images inside the workspace can be sent.`);
  return uri.with({ path: normalized });
}

async function checkReadable(references: readonly vscode.Uri[]): Promise<void> {
  for (const reference of references) {
    try {
      await vscode.workspace.fs.stat(reference);
    } catch {
      throw new Error(`The reference "${relative(reference)}" does not exist.`);
    }
  }
}

function relative(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
