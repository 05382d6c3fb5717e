/**
 * Kubernetes AdmissionReview (`admission.k8s.io/v1`): the request's schema (TypeBox: the API route
 * validates bodies with it, so anything else is a 400 before a handler runs) and the containers of
 * the object under review, from every kind that holds a pod or a pod template.
 *
 * The object is checked here field by field, as hostile input: a kind we gate whose pod spec is
 * missing or malformed is a `usage` error (400), never an allow. Kinds we do not gate (the webhook
 * configuration decides what is sent) are answered `undefined`.
 */
import { Type, type Static } from 'typebox';
import { RecipeError } from '../errors.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

const GroupVersionKind = Type.Object({
  group: Type.String({ maxLength: 253 }),
  version: Type.String({ maxLength: 63 }),
  kind: Type.String({ maxLength: 63 }),
});

export const AdmissionRequestSchema = Type.Object(
  {
    uid: Type.String({ minLength: 1, maxLength: 128, description: 'echoed in the response' }),
    kind: GroupVersionKind,
    resource: Type.Optional(
      Type.Object({
        group: Type.String({ maxLength: 253 }),
        version: Type.String({ maxLength: 63 }),
        resource: Type.String({ maxLength: 253 }),
      }),
    ),
    subResource: Type.Optional(Type.String({ maxLength: 253 })),
    name: Type.Optional(Type.String({ maxLength: 253 })),
    namespace: Type.Optional(Type.String({ maxLength: 253 })),
    operation: Type.Enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
    object: Type.Optional(
      Type.Unknown({ description: 'the object: a Pod, or a kind holding a pod template' }),
    ),
    oldObject: Type.Optional(Type.Unknown()),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

export const AdmissionReviewSchema = Type.Object(
  {
    apiVersion: Type.Literal(ADMISSION_API_VERSION),
    kind: Type.Literal(ADMISSION_KIND),
    request: AdmissionRequestSchema,
  },
  {
    additionalProperties: true,
    title: 'AdmissionReview',
    description: 'admission.k8s.io/v1 AdmissionReview',
  },
);

export type AdmissionReview = Static<typeof AdmissionReviewSchema>;
export type AdmissionRequest = Static<typeof AdmissionRequestSchema>;

export const AdmissionResponseSchema = Type.Object(
  {
    apiVersion: Type.Literal(ADMISSION_API_VERSION),
    kind: Type.Literal(ADMISSION_KIND),
    response: Type.Object({
      uid: Type.String(),
      allowed: Type.Boolean(),
      status: Type.Optional(
        Type.Object({ code: Type.Integer(), reason: Type.Optional(Type.String()), message: Type.String() }),
      ),
      warnings: Type.Optional(Type.Array(Type.String())),
    }),
  },
  { title: 'AdmissionReviewResponse' },
);
export type AdmissionReviewResponse = Static<typeof AdmissionResponseSchema>;

/** Which list of the pod spec a container comes from. */
export type ContainerField = 'containers' | 'initContainers' | 'ephemeralContainers';

export interface PodContainer {
  field: ContainerField;
  name: string;
  image: string;
}

/** Where the pod spec sits in each kind we gate, by `group/kind` (core group: ''). */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  '/Pod': ['spec'],
  '/ReplicationController': ['spec', 'template', 'spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The kinds gated, as `group/kind`, for documentation and the webhook configuration. */
export const GATED_KINDS: readonly string[] = [...Object.keys(POD_SPEC_PATHS), '/EphemeralContainers'];

const FIELDS: readonly ContainerField[] = ['containers', 'initContainers', 'ephemeralContainers'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(message: string): RecipeError {
  return new RecipeError('usage', `not a valid AdmissionReview: ${message}`);
}

function readContainers(
  list: unknown,
  field: ContainerField,
  where: string,
  out: PodContainer[],
  max: number,
): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw bad(`${where}.${field} is not a list`);
  list.forEach((c: unknown, i) => {
    const at = `${where}.${field}[${i}]`;
    if (!isObject(c)) throw bad(`${at} is not an object`);
    const { name, image } = c;
    if (typeof name !== 'string' || name === '' || name.length > 253) throw bad(`${at}.name is missing`);
    if (typeof image !== 'string' || image === '' || image.length > 4096)
      throw bad(`${at}.image is missing (container ${JSON.stringify(name)})`);
    if (out.length >= max) throw bad(`more than ${max} containers`);
    out.push({ field, name, image });
  });
}

/**
 * The containers of the object under review (containers, init containers and ephemeral containers
 * of its pod spec), or undefined when the request's kind holds no pod (not gated) or there is
 * nothing to judge (DELETE, CONNECT). `usage` when a gated object is malformed.
 */
export function podContainers(req: AdmissionRequest, opts: { max: number }): PodContainer[] | undefined {
  if (req.operation === 'DELETE' || req.operation === 'CONNECT') return undefined;
  const { group, kind } = req.kind;
  const object = req.object;
  if (!isObject(object)) {
    if (POD_SPEC_PATHS[`${group}/${kind}`] !== undefined || (group === '' && kind === 'EphemeralContainers'))
      throw bad(`request.object must be a ${kind} object for ${req.operation}`);
    return undefined;
  }
  const out: PodContainer[] = [];
  // The ephemeralcontainers subresource: before Kubernetes 1.22 the object was an
  // EphemeralContainers list; since then it is the Pod. Either way, only its ephemeral containers
  // change, so only they are judged.
  if (group === '' && kind === 'EphemeralContainers') {
    readContainers(object.ephemeralContainers, 'ephemeralContainers', 'object', out, opts.max);
    return out;
  }
  const path = POD_SPEC_PATHS[`${group}/${kind}`];
  if (path === undefined) return undefined;
  let spec: unknown = object;
  let where = 'object';
  for (const key of path) {
    if (!isObject(spec)) throw bad(`${where} is not an object`);
    spec = spec[key];
    where += `.${key}`;
  }
  if (!isObject(spec)) throw bad(`${where} (the pod spec of a ${kind}) is missing`);
  const fields: readonly ContainerField[] =
    kind === 'Pod' && req.subResource === 'ephemeralcontainers' ? ['ephemeralContainers'] : FIELDS;
  for (const f of fields) readContainers(spec[f], f, where, out, opts.max);
  if (kind !== 'Pod' || req.subResource !== 'ephemeralcontainers')
    if (!out.some((c) => c.field === 'containers')) throw bad(`${where}.containers is empty`);
  return out;
}
