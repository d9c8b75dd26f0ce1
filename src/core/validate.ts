// Checks a job before anything is sent, with messages that say what to change.
import { describeBytes, ImageError } from './errors';
import type { ImageJob } from './imageJob';
import {
  describeModel,
  GATEWAY_MAX_REQUEST_BYTES,
  KNOWN_MODEL_IDS,
  MODEL_ID_PATTERN,
  modelsTakingRatio,
  modelsTakingSize,
  normalizeModelId,
  REFERENCE_TYPES,
} from './models';
import { sniffImageType } from './sniff';

/** Room for the JSON around the prompt and images. */
const JSON_OVERHEAD_BYTES = 1024;

/** Every problem with the job, one sentence each; empty when it can be sent. */
export function findJobProblems(job: ImageJob, maxRequestBytes = GATEWAY_MAX_REQUEST_BYTES): string[] {
  const problems: string[] = [];
  const model = normalizeModelId(job.model);
  if (model === '') problems.push('Choose a model (geminiImage.model), for example gemini-3.1-flash-image, or auto.');
  else if (!MODEL_ID_PATTERN.test(model)) {
    const shown = model.length > 60 ? `${model.slice(0, 60)}…` : model;
    problems.push(`The model id ${JSON.stringify(shown)} (geminiImage.model) has characters a model id cannot have: use letters, digits, '.', '-' and '_' only.`);
  }
  if (job.prompt.trim() === '' && job.references.length === 0) {
    problems.push('Write a prompt or add a reference image.');
  }
  problems.push(...optionProblems(job, model));
  problems.push(...referenceProblems(job));
  const sizeProblem = requestSizeProblem(job, maxRequestBytes);
  if (sizeProblem) problems.push(sizeProblem);
  return problems;
}

/** Throws an invalidJob ImageError listing every problem. */
export function validateJob(job: ImageJob, host = '', maxRequestBytes = GATEWAY_MAX_REQUEST_BYTES): void {
  const problems = findJobProblems(job, maxRequestBytes);
  if (problems.length > 0) throw new ImageError('invalidJob', problems.join(' '), { host });
}

function optionProblems(job: ImageJob, model: string): string[] {
  const capabilities = describeModel(model);
  if (!capabilities) return []; // Unknown ids (a gateway's own names) pass through: the provider decides.
  const problems: string[] = [];
  const { aspectRatio, imageSize } = job;
  if (aspectRatio && !capabilities.aspectRatios.includes(aspectRatio)) {
    const others = modelsTakingRatio(aspectRatio);
    problems.push(
      `${model} does not take aspect ratio ${aspectRatio}: choose one of ${capabilities.aspectRatios.join(', ')} or auto` +
        (others.length ? `, or use ${others.join(' or ')}.` : '.'),
    );
  }
  if (imageSize) {
    if (capabilities.fixedSize !== undefined) {
      if (imageSize.toUpperCase() !== capabilities.fixedSize.toUpperCase()) {
        const matching = KNOWN_MODEL_IDS.find((id) => describeModel(id)?.baseId === capabilities.baseId && describeModel(id)?.fixedSize?.toUpperCase() === imageSize.toUpperCase());
        problems.push(
          `${model} always makes ${capabilities.fixedSize} images: set the size to auto` +
            (matching ? ` or use ${matching}.` : '.'),
        );
      }
    } else if (capabilities.imageSizes.length === 0) {
      const others = modelsTakingSize(imageSize);
      problems.push(
        `${model} has no size choice: set the size to auto` + (others.length ? ` or use ${others.join(' or ')}.` : '.'),
      );
    } else if (!capabilities.imageSizes.includes(imageSize)) {
      const hint = capabilities.imageSizes.includes(imageSize.toUpperCase()) ? ` (sizes use an uppercase K: ${imageSize.toUpperCase()})` : '';
      const others = modelsTakingSize(imageSize);
      problems.push(
        `${model} does not take size ${imageSize}${hint}: choose one of ${capabilities.imageSizes.join(', ')} or auto` +
          (others.length ? `, or use ${others.join(' or ')}.` : '.'),
      );
    }
  }
  if (job.thinkingLevel && !capabilities.thinkingLevels.includes(job.thinkingLevel)) {
    problems.push(
      capabilities.thinkingLevels.length > 0
        ? `${model} does not take thinking level ${job.thinkingLevel}: choose ${capabilities.thinkingLevels.join(' or ')}, or auto.`
        : `${model} has no thinking level to choose: set it to auto.`,
    );
  }
  if (job.grounding && !capabilities.grounding) {
    problems.push(`${model} cannot search Google while it draws: turn grounding off, or use gemini-3.1-flash-image or gemini-3-pro-image.`);
  }
  if (job.references.length > capabilities.maxReferences) {
    const extra = job.references.length - capabilities.maxReferences;
    const bigger = KNOWN_MODEL_IDS.filter((id) => id === describeModel(id)?.baseId && !describeModel(id)?.gatewayOnly && (describeModel(id)?.maxReferences ?? 0) >= job.references.length).slice(0, 2);
    problems.push(
      `${model} takes at most ${capabilities.maxReferences} reference images and this job has ${job.references.length}: ` +
        `remove ${extra}` +
        (bigger.length ? ` or use ${bigger.join(' or ')}.` : '.'),
    );
  }
  return problems;
}

function referenceProblems(job: ImageJob): string[] {
  const problems: string[] = [];
  for (const reference of job.references) {
    const type = sniffImageType(reference.bytes);
    if (type && REFERENCE_TYPES.includes(type)) continue;
    const what = reference.bytes.length === 0 ? 'is empty' : type ? `is a ${type.toUpperCase()} image` : 'is not an image the API knows';
    problems.push(
      `${reference.name} ${what}; references must be PNG, JPEG, WebP, HEIC or HEIF: convert it (for example to PNG) or remove it.`,
    );
  }
  return problems;
}

/**
 * Why a reference image of `size` bytes can never be sent (even alone it would pass the request limit once in
 * base64), checked from the file's size before it is read; undefined when it may fit.
 */
export function referenceTooLarge(name: string, size: number, maxRequestBytes = GATEWAY_MAX_REQUEST_BYTES): string | undefined {
  if (base64Length(size) + JSON_OVERHEAD_BYTES <= maxRequestBytes) return undefined;
  return (
    `${name} is ${describeBytes(size)}, too large to send: this provider takes at most ${describeBytes(maxRequestBytes)} a request ` +
    'and images grow by a third when sent. Use a smaller or compressed copy of the image.'
  );
}

/** The size of the body as sent: base64 grows each image by a third. */
export function estimateRequestBytes(job: ImageJob): number {
  const references = job.references.reduce((sum, reference) => sum + base64Length(reference.bytes.length), 0);
  const history = job.history ? Buffer.byteLength(JSON.stringify(job.history)) : 0;
  return Buffer.byteLength(job.prompt) + references + history + JSON_OVERHEAD_BYTES;
}

function requestSizeProblem(job: ImageJob, maxRequestBytes: number): string | undefined {
  const total = estimateRequestBytes(job);
  if (total <= maxRequestBytes) return undefined;
  const biggest = [...job.references]
    .sort((a, b) => b.bytes.length - a.bytes.length)
    .slice(0, 3)
    .map((reference) => `${reference.name} (${describeBytes(reference.bytes.length)})`);
  const history = job.history ? ' including the earlier turns of this refinement' : '';
  return (
    `The request would be ${describeBytes(total)}${history}, over this provider's ${describeBytes(maxRequestBytes)} limit (geminiImage.maxRequestMB)` +
    (biggest.length ? `; the biggest images are ${biggest.join(', ')}` : '') +
    ': use fewer or smaller reference images (images grow by a third when sent).'
  );
}

function base64Length(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4;
}
