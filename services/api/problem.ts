/**
 * Errors as application/problem+json (RFC 9457) with the stable codes of shared/errors.ts:
 * `{ type, title, status, detail, code }`. The one place the API maps errors to responses.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { RecipeError, toRecipeError } from '../../shared/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { title: 'Problem', description: 'An error, application/problem+json' },
);
export type Problem = Static<typeof ProblemSchema>;

/** A Fastify error (validation, body too large, bad content type...) as a RecipeError. */
export function fromHttpError(err: unknown): RecipeError {
  if (err instanceof RecipeError) return err;
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  const msg = e.message ?? 'error';
  if (e.validation !== undefined || e.code === 'FST_ERR_VALIDATION') return new RecipeError('usage', msg);
  switch (e.statusCode) {
    case 400:
      return new RecipeError(
        e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/i.test(msg) ? 'parse-error' : 'usage',
        msg,
      );
    case 413:
      return new RecipeError('size-limit', msg);
    case 415:
      return new RecipeError('unsupported-media-type', msg);
    case 404:
      return new RecipeError('not-found', msg);
    default:
      return toRecipeError(err);
  }
}

/** Some codes answer with a status other than the table's when they are about the HTTP request itself. */
export function statusFor(err: RecipeError, fastifyStatus?: number): number {
  if (fastifyStatus === 413) return 413;
  if (fastifyStatus === 415) return 415;
  return err.status;
}

export function toProblem(err: RecipeError, status: number): Problem {
  const hide = err.code === 'internal';
  const p: Problem = {
    type: `urn:guix-recipes:problem:${err.code}`,
    title: err.code,
    status,
    detail: hide ? 'internal error' : err.message,
    code: err.code,
  };
  if (!hide && err.details) p.details = err.details;
  return p;
}

/** Answer 429 problem+json, code `rate-limited`, with Retry-After in whole seconds (at least 1). */
export function replyRateLimited(
  req: FastifyRequest,
  reply: FastifyReply,
  retryAfterMs: number,
  why: string,
): FastifyReply {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const e = new RecipeError('rate-limited', `${why}: try again in ${seconds} s`, { retryAfterMs });
  req.log.debug({ code: e.code, retryAfterS: seconds }, why);
  return reply
    .code(429)
    .header('retry-after', String(seconds))
    .type(PROBLEM_CONTENT_TYPE)
    .send(toProblem(e, 429));
}
