/**
 * Admission: an AdmissionReview in, its answer out. Every container of the pod (or pod template)
 * is judged by its image under one policy; the answer echoes the request's uid, denies when any
 * container is denied (enforce mode), and otherwise allows with Kubernetes `warnings` for what warn
 * mode let through, an index platform `platforms: any` overlooked, or an unscanned image allowed.
 *
 * A denial says, for each container denied: which container, which image (and the digest its tag
 * named), which rule (the reason's stable code and message), and what to do next.
 *
 * Errors that concern one container's image and that no retry can change (a reference that does not
 * parse, a tag the registry does not have) are that container's denial (a warning in warn mode);
 * anything else (the store or a registry unreachable...) fails the whole review, so that the API
 * server applies the webhook's failurePolicy: never an allow by accident.
 */
import { isRecipeError, type ErrorCode } from '../errors.js';
import type { CompiledPolicy } from '../policy/compile-policy.js';
import type { Reason } from '../policy/verdict.js';
import type { ReasonCode } from '../policy/reason-codes.js';
import {
  ADMISSION_API_VERSION,
  ADMISSION_KIND,
  podContainers,
  type AdmissionReview,
  type AdmissionReviewResponse,
  type PodContainer,
} from './admission-review.js';
import type { Judged, VerdictService } from './verdict-service.js';

export interface AdmitOptions {
  policy: CompiledPolicy;
  signal: AbortSignal;
  /** The longest to wait for a scan the policy asks for, ms. */
  scanWaitMs: number;
  /** Containers per pod at most. */
  maxContainers: number;
}

/** What to do about each reason, for the person whose deployment was refused. */
export const NEXT_STEPS: Readonly<Record<ReasonCode, string>> = {
  'not-scanned': 'wait for the scan (or ask for one: POST /v1/scans), then apply again',
  'scan-failed': "look at the scan's error (GET /v1/images?state=failed), fix the image, scan it again",
  'no-recipe': "build the image with 'guix pack -f docker --save-provenance'",
  'no-provenance': "rebuild the image with 'guix pack --save-provenance'",
  'partial-provenance': "rebuild the image with 'guix pack --save-provenance'",
  'channel-not-allowed': 'build from the channels the policy allows, or ask for the channel to be allowed',
  'no-introduction': 'build from channels with an introduction (authenticated channels)',
  'introduction-mismatch': 'build from the channel the policy names (same introduction)',
  'commit-denied': "rebuild from another commit of the channel ('guix time-machine')",
  'commit-not-allowed': "rebuild from a commit the policy allows ('guix time-machine')",
  'package-denied': 'rebuild without that package, or with a version the policy allows',
  'transformations-denied': 'rebuild without package transformations (--with-*, --tune)',
};

/** Errors about one image that no retry changes: that container's denial. */
const CONTAINER_ERRORS: ReadonlySet<ErrorCode> = new Set(['invalid-reference', 'not-found']);

/** Bounds on what one answer carries. */
const MAX_REASONS_PER_CONTAINER = 5;
const MAX_MESSAGE_CHARS = 8192;
const MAX_WARNINGS = 32;
const MAX_WARNING_CHARS = 256;

type Judgement = { judged: Judged } | { problem: string };

function who(c: PodContainer, image: string, j: Judgement | undefined, pin = true): string {
  const kind =
    c.field === 'containers'
      ? 'container'
      : c.field === 'initContainers'
        ? 'init container'
        : 'ephemeral container';
  const pinned =
    pin && j && 'judged' in j && j.judged.image && j.judged.tag !== undefined ? ` = ${j.judged.image}` : '';
  return `${kind} ${JSON.stringify(c.name)} (image ${image}${pinned})`;
}

function reasonText(r: Pick<Reason, 'code' | 'message' | 'platform'>): string {
  return `${r.platform ? `${r.platform}: ` : ''}${r.code}: ${r.message}`;
}

function denial(c: PodContainer, j: Judgement, dryRun: boolean): string | undefined {
  if ('problem' in j) return `${who(c, c.image, j)}: ${j.problem}`;
  const v = j.judged.verdict;
  if (v.outcome === 'allow') return undefined;
  const shown = v.reasons.slice(0, MAX_REASONS_PER_CONTAINER).map(reasonText);
  if (v.reasons.length > shown.length) shown.push(`and ${v.reasons.length - shown.length} more`);
  const codes = [...new Set(v.reasons.map((r) => r.code))];
  let next = codes.map((code) => NEXT_STEPS[code]).join('; ');
  if (v.outcome === 'needs-scan')
    next = j.judged.scanQueued
      ? 'its scan was queued and has not finished yet: apply again in a moment'
      : dryRun
        ? 'a dry run queues no scan: ask for one (POST /v1/scans), then apply again'
        : NEXT_STEPS['not-scanned'];
  return `${who(c, c.image, j)}: ${shown.join('; ')}. Next: ${next}.`;
}

function warningsOf(c: PodContainer, j: Judgement): string[] {
  const w = 'problem' in j ? [j.problem] : j.judged.verdict.warnings.map(reasonText);
  if ('judged' in j && j.judged.verdict.outcome === 'needs-scan')
    w.push(...j.judged.verdict.reasons.map(reasonText));
  // Warnings are kept short (the API server may cut them past 256 characters): no digest.
  return w.map((text) => `${who(c, c.image, j, false)}: ${text}`);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Judge the review; the answer for the API server. */
export async function admit(
  service: VerdictService,
  review: AdmissionReview,
  opts: AdmitOptions,
): Promise<AdmissionReviewResponse> {
  const req = review.request;
  const answer = (response: AdmissionReviewResponse['response']): AdmissionReviewResponse => ({
    apiVersion: ADMISSION_API_VERSION,
    kind: ADMISSION_KIND,
    response,
  });
  const containers = podContainers(req, { max: opts.maxContainers });
  if (containers === undefined || containers.length === 0) return answer({ uid: req.uid, allowed: true });
  const dryRun = req.dryRun === true;
  const images = [...new Set(containers.map((c) => c.image))];
  const judgements = new Map<string, Judgement>();
  await Promise.all(
    images.map(async (image) => {
      try {
        const judged = await service.judge(image, opts.policy, {
          signal: opts.signal,
          dryRun,
          scanWaitMs: opts.scanWaitMs,
        });
        judgements.set(image, { judged });
      } catch (err) {
        if (isRecipeError(err) && CONTAINER_ERRORS.has(err.code))
          judgements.set(image, { problem: `${err.code}: ${err.message}` });
        else throw err;
      }
    }),
  );

  const warn = opts.policy.mode === 'warn';
  const denied: string[] = [];
  const warnings: string[] = [];
  for (const c of containers) {
    const j = judgements.get(c.image)!;
    const d = denial(c, j, dryRun);
    if (d !== undefined && !warn) denied.push(d);
    else warnings.push(...warningsOf(c, j));
  }
  const policy = `guix-recipes policy ${JSON.stringify(opts.policy.name)} (${opts.policy.version.slice(0, 19)})`;
  const short = `guix-recipes policy ${opts.policy.name}${warn ? ' (warn mode)' : ''}`;
  const w =
    warnings.length === 0
      ? {}
      : {
          warnings: warnings
            .slice(0, MAX_WARNINGS)
            .map((text) => clip(`${short}: ${text}`, MAX_WARNING_CHARS)),
        };
  if (denied.length === 0) return answer({ uid: req.uid, allowed: true, ...w });
  const head = `${policy} denies ${denied.length} of ${containers.length} container${containers.length === 1 ? '' : 's'}:`;
  return answer({
    uid: req.uid,
    allowed: false,
    status: {
      code: 403,
      reason: 'Forbidden',
      message: clip([head, ...denied].join('\n'), MAX_MESSAGE_CHARS),
    },
    ...w,
  });
}
