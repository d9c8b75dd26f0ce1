// Every message between the extension host and the side panel webview, in both directions, and the state they share.
// The webview is untrusted: it names images by workspace path only, never receives a token or image bytes.

/** An option left to the model: the field is not sent. */
export const AUTO = 'auto';

export type OutputFormatChoice = 'auto' | 'png' | 'jpeg';

/** Longest prompt the panel accepts, in UTF-8 bytes. */
export const MAX_PROMPT_BYTES = 32 * 1024;
export const MAX_VARIANTS = 8;
/** The most reference images any known model takes. */
export const MAX_REFERENCES = 14;

/** A model the pickers offer, with what it accepts (unknown ids accept everything: the provider decides). */
export interface ModelChoice {
  readonly id: string;
  readonly aspectRatios: readonly string[];
  /** Sizes the size picker offers; empty when the model has no size choice. */
  readonly imageSizes: readonly string[];
  /** Size fixed by a gateway suffix (`-2k`): the picker shows it and sends auto. */
  readonly fixedSize?: string;
  readonly maxReferences: number;
  /** Thinking levels the picker offers; empty when the model has no thinking control. */
  readonly thinkingLevels: readonly string[];
  /** Whether Google Search grounding can be turned on. */
  readonly grounding: boolean;
  /** False for ids that are not in the built-in table (e.g. a gateway's own name from the settings). */
  readonly known: boolean;
  /** What the picker shows, e.g. "auto (gemini-3.1-flash-image)"; the id when absent. */
  readonly label?: string;
}

/** What the compose pickers show; remembered per workspace. */
export interface ComposeChoices {
  readonly model: string;
  /** 'auto' or one of the model's aspect ratios. */
  readonly aspectRatio: string;
  /** 'auto' or one of the model's sizes. */
  readonly imageSize: string;
  readonly outputFormat: OutputFormatChoice;
  /** 'auto' (the model's default) or one of the model's thinking levels. */
  readonly thinkingLevel: string;
  /** Let the model search Google; its sources are shown on the job card. */
  readonly grounding: boolean;
  readonly variants: number;
  /** Name of the chosen preset (see PresetView); absent for None. */
  readonly preset?: string;
  /** Remove a flat background after the image arrives (PNG with alpha); absent for an opaque image. */
  readonly background?: 'transparent';
}

/** The Google Search sources of a grounded result (Google's terms require showing them with the images). */
export interface GroundingView {
  readonly queries: readonly string[];
  /** http(s) links only. */
  readonly sources: readonly { readonly title: string; readonly uri: string }[];
}

/** A reference image waiting to be sent. */
export interface ReferenceView {
  /** Workspace path: relative, '/'-separated; in a multi-root workspace it starts with the folder's name. */
  readonly path: string;
  readonly name: string;
  /** Webview URI of the file (asWebviewUri), for the thumbnail. */
  readonly src: string;
  readonly bytes: number;
  /** Why this file cannot be sent as it is (e.g. a GIF), if it cannot. */
  readonly problem?: string;
}

export interface TokenUsage {
  readonly promptTokenCount?: number;
  readonly candidatesTokenCount?: number;
  readonly totalTokenCount?: number;
  readonly thoughtsTokenCount?: number;
}

/** One generated image in the gallery, described by the recipe inside the file. */
export interface HistoryItem {
  /** Workspace path of the image; also its id. */
  readonly path: string;
  readonly src: string;
  readonly prompt: string;
  readonly model: string;
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly outputFormat?: string;
  /** Workspace paths of the references when known, else their file names (from a recipe). */
  readonly references: readonly string[];
  /** True when `references` are workspace paths that can be sent again. */
  readonly referencesArePaths: boolean;
  readonly refinedFrom?: string;
  readonly usage?: TokenUsage;
  /** ISO time. */
  readonly createdAt: string;
}

export type JobStatus = 'running' | 'done' | 'failed' | 'cancelled';

/** What the user can do about a failure, shown as buttons next to it. */
export type NextStep = 'setToken' | 'retry' | 'showLog' | 'openSettings' | 'chooseModel';

export interface JobFailure {
  /** ImageError kind (noToken, blocked, imageRefused, quota…) or 'error'. */
  readonly kind: string;
  readonly message: string;
  /** finishReason / blockReason of a refusal. */
  readonly code?: string;
  /** What the model said instead of an image. */
  readonly texts: readonly string[];
  readonly steps: readonly NextStep[];
}

/** A generation started from the panel, shown as a card until dismissed. */
export interface JobView {
  readonly id: string;
  readonly prompt: string;
  readonly model: string;
  /** "16:9 · 2K · png · 2 variants", the options that differ from auto. */
  readonly summary: string;
  /** Workspace path of the image being refined. */
  readonly refine?: string;
  readonly variants: number;
  readonly status: JobStatus;
  /** Epoch ms, for the elapsed time the webview counts itself. */
  readonly startedAt: number;
  readonly finishedAt?: number;
  /** Workspace paths of the images saved so far, in arrival order. */
  readonly saved: readonly string[];
  readonly texts: readonly string[];
  /** Variants that failed while others succeeded. */
  readonly failures: readonly string[];
  /** What was skipped in answers that brought images (images over the per-answer cap, unreadable parts). */
  readonly notes?: readonly string[];
  readonly failure?: JobFailure;
  readonly grounding?: GroundingView;
  /** "≈ $0.067 (estimate, Google's list prices) · session ≈ $0.20". */
  readonly cost?: string;
}

export type BatchStatus = 'running' | 'done' | 'failed' | 'cancelled';

/** A prompt-file batch ("Run Image Batch…"), shown as a card while it runs and until dismissed. */
export interface BatchView {
  readonly id: string;
  /** The prompts file's name, or "3 jobs". */
  readonly title: string;
  readonly mode: 'interactive' | 'batch';
  /** Images this run makes (lines already made are counted in `skipped` instead). */
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly status: BatchStatus;
  /** The progress notification's text: "37 of 100 · 2 failed · about 3 min left". */
  readonly progress: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly finishedAt?: number;
  /** Workspace path of the results file the run wrote. */
  readonly resultsFile?: string;
  /** Why the run stopped, when it did not finish. */
  readonly message?: string;
  /** A running Batch API run: the provider's state in words ("Pending at the provider"). */
  readonly state?: string;
}

export interface PanelState {
  /** Host of geminiImage.baseUrl (never the token: only whether one is stored). */
  readonly host: string;
  readonly hasToken: boolean;
  readonly hasWorkspace: boolean;
  readonly models: readonly ModelChoice[];
  readonly choices: ComposeChoices;
  /** Newest first. */
  readonly recentPrompts: readonly string[];
  readonly references: readonly ReferenceView[];
  /** Newest first. */
  readonly jobs: readonly JobView[];
  /** Prompt-file batches of this window, newest first. */
  readonly batches: readonly BatchView[];
  readonly maxRequestBytes: number;
  /** Set when the output format cannot be chosen (Google's API has none), saying why. */
  readonly outputFormatOff?: string;
  /** Built-in, then user, then workspace presets (geminiImage.presets). */
  readonly presets: readonly PresetView[];
  /** One sentence per preset in the settings that was ignored, and why. */
  readonly presetProblems: readonly string[];
}

// --- Presets in the panel: the picker shows these; `ComposeChoices.preset` names one, `background` is the checkbox.

/** A preset as the panel's picker shows it (the template itself stays in the host). */
export interface PresetView {
  readonly name: string;
  readonly description: string;
  readonly source: 'built-in' | 'user' | 'workspace';
  /** Defaults the picker puts into the controls when the preset is chosen. */
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly model?: string;
  readonly background?: 'transparent';
}

/** Commands the webview may ask the host to run (an enumerated list, never a free command id). */
export type PanelCommand = 'setToken' | 'showLog' | 'openFolder' | 'openSettings';

export type ImageAction = 'open' | 'reveal' | 'copyPath';

export type WebviewToHost =
  /** The script is loaded: send everything. */
  | { readonly type: 'ready' }
  | {
      readonly type: 'generate';
      readonly requestId: string;
      readonly prompt: string;
      readonly choices: ComposeChoices;
      /** Workspace paths, in the order they are sent. */
      readonly references: readonly string[];
      /** Workspace path of a gallery image whose conversation is continued. */
      readonly refine?: string;
    }
  | { readonly type: 'cancel'; readonly jobId: string }
  | { readonly type: 'jobStep'; readonly jobId: string; readonly step: NextStep }
  | { readonly type: 'dismissJob'; readonly jobId: string }
  /** Batch ids the host does not know (finished and dropped, or made up) are ignored. */
  | { readonly type: 'cancelBatch'; readonly batchId: string }
  | { readonly type: 'dismissBatch'; readonly batchId: string }
  /** Opens the results file the host recorded for this batch (the webview never names the file). */
  | { readonly type: 'openBatchResults'; readonly requestId: string; readonly batchId: string }
  /** Remember the pickers for this workspace. */
  | { readonly type: 'choose'; readonly choices: ComposeChoices }
  | { readonly type: 'pickReferences'; readonly requestId: string }
  | { readonly type: 'addReferences'; readonly requestId: string; readonly paths: readonly string[] }
  /** URIs from an Explorer drag (text/uri-list); the host keeps those inside a workspace folder. */
  | { readonly type: 'dropReferences'; readonly requestId: string; readonly uris: readonly string[] }
  | { readonly type: 'removeReference'; readonly path: string }
  | { readonly type: 'moveReference'; readonly path: string; readonly index: number }
  | { readonly type: 'imageAction'; readonly requestId: string; readonly action: ImageAction; readonly path: string }
  | { readonly type: 'rescanHistory'; readonly requestId: string }
  | { readonly type: 'runCommand'; readonly command: PanelCommand };

export type WebviewMessageType = WebviewToHost['type'];

export type HostToWebview =
  | { readonly type: 'state'; readonly state: PanelState }
  /** The whole gallery, newest first (sent on ready, when visible again, after a rescan). */
  | { readonly type: 'history'; readonly items: readonly HistoryItem[]; readonly scanning: boolean }
  /** Images just saved, newest first, to put on top of the gallery. */
  | { readonly type: 'historyAdded'; readonly items: readonly HistoryItem[] }
  /** The answer to a message that carried a requestId. */
  | { readonly type: 'reply'; readonly requestId: string; readonly ok: boolean; readonly message?: string };

export type HostMessageType = HostToWebview['type'];
