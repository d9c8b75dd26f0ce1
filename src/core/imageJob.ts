// The vocabulary shared by the image client and its callers: what a job asks for and what comes back.

export type AuthHeaderMode = 'auto' | 'bearer' | 'x-goog-api-key';
export type OutputFormat = 'png' | 'jpeg';
export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif';

/** A reference image sent with the prompt, already read from disk. */
export interface ReferenceImage {
  /** File name (no directories) shown in messages and stored in the recipe. */
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Detected from the bytes: image/png, image/jpeg, image/webp, image/heic or image/heif. */
  readonly mimeType: string;
}

/** A part of a conversation turn exactly as the API spells it (kept verbatim for refinement). */
export type ApiPart = Record<string, unknown>;

/** One turn of an earlier conversation, sent back unchanged when refining a result. */
export interface ApiContent {
  readonly role: 'user' | 'model';
  readonly parts: readonly ApiPart[];
}

/** What the user asked for. Options left undefined are "auto" and are not sent. */
export interface ImageJob {
  readonly prompt: string;
  readonly references: readonly ReferenceImage[];
  readonly model: string;
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly outputFormat?: OutputFormat;
  /** generationConfig.thinkingConfig.thinkingLevel (`minimal` or `high` on the models that take it). */
  readonly thinkingLevel?: string;
  /** Let the model search Google (`tools: [{googleSearch: {}}]`); its sources must be shown with the result. */
  readonly grounding?: boolean;
  /** Ask for TEXT as well as IMAGE. */
  readonly includeText: boolean;
  /** Earlier turns (user and model, model parts verbatim with thoughtSignature) for a refinement. */
  readonly history?: readonly ApiContent[];
}

export interface ProxySettings {
  /** `http.proxy` or HTTPS_PROXY/HTTP_PROXY; empty = direct. */
  readonly url?: string;
  /** `http.noProxy` plus NO_PROXY entries: host names, domain suffixes (".example.com"), "*". */
  readonly noProxy: readonly string[];
  /** `http.proxyStrictSSL`. */
  readonly strictSSL: boolean;
  /** `http.proxyAuthorization`: sent as Proxy-Authorization. */
  readonly authorization?: string;
}

/** Where and how to send requests. */
export interface ProviderSettings {
  readonly baseUrl: string;
  readonly authHeader: AuthHeaderMode;
  readonly timeoutSeconds: number;
  /** Longest silence while the answer's body arrives before it counts as stalled (default 60 s). */
  readonly idleTimeoutSeconds?: number;
  readonly maxRetries: number;
  /** false: a 429 is reported at once with the provider's wait instead of retried (a batch paces all its requests by it). */
  readonly retryQuota?: boolean;
  readonly proxy?: ProxySettings;
  /** Largest request body the provider takes (default: maxRequestBytesFor the base URL). */
  readonly maxRequestBytes?: number;
}

export interface Usage {
  readonly promptTokenCount?: number;
  readonly candidatesTokenCount?: number;
  readonly totalTokenCount?: number;
  readonly thoughtsTokenCount?: number;
  /** Output tokens per modality (`IMAGE`, `TEXT`), as usageMetadata.candidatesTokensDetails gives them. */
  readonly candidatesTokensDetails?: readonly ModalityTokens[];
}

export interface ModalityTokens {
  readonly modality: string;
  readonly tokenCount: number;
}

/** A web page the model's Google Search grounding used. */
export interface GroundingSource {
  readonly title: string;
  readonly uri: string;
}

/** What Google's terms require us to show with a grounded result: the search suggestions and the sources. */
export interface Grounding {
  /** Queries the model searched for (shown as Google Search suggestions). */
  readonly queries: readonly string[];
  readonly sources: readonly GroundingSource[];
  /** searchEntryPoint.renderedContent: Google's own HTML chip; shown only where HTML can be rendered safely. */
  readonly renderedContent?: string;
}

/** An image the model returned, validated and sniffed. */
export interface GeneratedImage {
  readonly bytes: Uint8Array;
  /** Sniffed from the bytes, whatever the answer declared. */
  readonly format: ImageFormat;
  readonly mimeType: string;
  /** Where it was downloaded from (origin and path) when the provider answered with a link instead of the image. */
  readonly link?: string;
}

export interface ImageResult {
  readonly images: readonly GeneratedImage[];
  readonly texts: readonly string[];
  readonly finishReasons: readonly string[];
  /** finishMessage of each candidate that had one. */
  readonly finishMessages: readonly string[];
  readonly usage?: Usage;
  /** Present when the answer was grounded in Google Search. */
  readonly grounding?: Grounding;
  /** The conversation so far (earlier turns, this user turn, the model's turn verbatim) for a later refinement. */
  readonly conversation: readonly ApiContent[];
  /** Parts of the answer that could not be used (e.g. an image part with invalid base64), for the log. */
  readonly warnings?: readonly string[];
}
