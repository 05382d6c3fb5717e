/**
 * Webhook bodies in each sender's format (shapes and field names of the vendors' payloads; the
 * values of the samples are made up), built for any repository/tag/digest so that the same builders
 * serve the unit tests and the integration tests against the real registry.
 */
import { createHmac } from 'node:crypto';

export const SAMPLE_DIGEST = 'sha256:d6bef222cd1ce3e76aa8796ee7cb51ec76038339fc5dfd724c0927ae4ba7fd5d';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface PushSpec {
  host: string;
  repository: string;
  tag?: string;
  digest?: string;
  mediaType?: string;
}

/** Harbor, Default format (`PUSH_ARTIFACT`); a push without a tag has the digest in `tag`. */
export function harborDefault(p: PushSpec, type = 'PUSH_ARTIFACT', occurAt = 1795342800): unknown {
  const slash = p.repository.lastIndexOf('/');
  const ref = p.tag ? `${p.host}/${p.repository}:${p.tag}` : `${p.host}/${p.repository}@${p.digest}`;
  return {
    type,
    occur_at: occurAt,
    operator: 'ci-robot',
    event_data: {
      resources: [{ digest: p.digest, tag: p.tag ?? p.digest, resource_url: ref }],
      repository: {
        date_created: 1795000000,
        name: p.repository.slice(slash + 1),
        namespace: p.repository.slice(0, slash),
        repo_full_name: p.repository,
        repo_type: 'private',
      },
    },
  };
}

/** Harbor, CloudEvents format (`harbor.artifact.pushed`). */
export function harborCloudEvent(p: PushSpec, id: string, type = 'harbor.artifact.pushed'): unknown {
  const d = harborDefault(p) as { event_data: unknown };
  return {
    specversion: '1.0',
    requestid: 'c2f1a6c3-0b7e-4f6e-9c1f-5e1c2d3b4a59',
    id,
    source: '/projects/1/webhook/policies/3',
    type,
    datacontenttype: 'application/json',
    time: '2026-11-22T18:58:16Z',
    data: d.event_data,
    operator: 'ci-robot',
  };
}

/** GitHub `package` (or `registry_package`) event for a container package. */
export function githubPackage(
  p: { owner: string; name: string; tag?: string; digest: string; mediaType?: string },
  opts: { event?: 'package' | 'registry_package'; action?: string; packageType?: string } = {},
): unknown {
  const pkg = {
    id: 1903746,
    name: p.name,
    namespace: `${p.owner}/${p.name}`,
    description: '',
    ecosystem: 'CONTAINER',
    package_type: opts.packageType ?? 'CONTAINER',
    html_url: `https://github.com/${p.owner}/${p.name}/pkgs/container/${p.name}`,
    owner: { login: p.owner, id: 1, type: 'Organization' },
    package_version: {
      id: 88211,
      version: p.digest,
      name: p.digest,
      container_metadata: {
        tag: { name: p.tag ?? '', digest: p.digest },
        labels: { description: '' },
        manifest: { digest: p.digest, media_type: p.mediaType ?? OCI_MANIFEST },
      },
      package_url: `ghcr.io/${p.owner.toLowerCase()}/${p.name}${p.tag ? `:${p.tag}` : ''}`,
    },
    registry: {
      about_url: 'https://docs.github.com',
      name: 'GitHub CONTAINER registry',
      type: 'CONTAINER',
      url: `https://ghcr.io/${p.owner}`,
      vendor: 'GitHub Inc',
    },
  };
  return {
    action: opts.action ?? 'published',
    [opts.event ?? 'package']: pkg,
    sender: { login: 'acme-ci' },
  };
}

/** The HMAC header GitHub would send for these exact bytes. */
export function githubSignature(secret: string, raw: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

/** Docker Hub push event (no digest, no event type). */
export function dockerHub(repoName: string, tag: string): unknown {
  const [namespace, name] = repoName.includes('/') ? repoName.split('/', 2) : ['library', repoName];
  return {
    callback_url: `https://registry.hub.docker.com/u/${repoName}/hook/0123abcd4567ef/`,
    push_data: { pushed_at: 1795342800, pusher: 'acme-ci', tag, images: [] },
    repository: {
      repo_name: repoName,
      namespace,
      name,
      is_private: true,
      repo_url: `https://hub.docker.com/r/${repoName}`,
      status: 'Active',
    },
  };
}

/** Quay `repo_push` notification. */
export function quay(host: string, repository: string, tags: unknown): unknown {
  const [namespace, name] = repository.split('/', 2);
  return {
    name,
    repository,
    namespace,
    docker_url: `${host}/${repository}`,
    homepage: `https://${host}/repository/${repository}`,
    updated_tags: tags,
  };
}

/** The ACR webhook's push event (a single object). */
export function acrPush(
  p: PushSpec,
  id = '7e1c3f9a-0d4b-4b8e-a1d2-6f0e9c8b7a65',
  action = 'push',
): Record<string, unknown> {
  const target: Record<string, unknown> = {
    mediaType: p.mediaType ?? OCI_MANIFEST,
    size: 401,
    digest: p.digest,
    length: 401,
    repository: p.repository,
  };
  if (p.tag) target.tag = p.tag;
  return {
    id,
    timestamp: '2026-11-22T10:00:00.000Z',
    action,
    target,
    request: {
      id: 'b2a9c0de-1111-4222-8333-944455556666',
      host: p.host,
      method: 'PUT',
      useragent: 'buildkit/v0.x',
    },
  };
}

/** Event Grid (Event Grid schema) `Microsoft.ContainerRegistry.ImagePushed` event. */
export function eventGridPushed(p: PushSpec, id: string): Record<string, unknown> {
  return {
    id,
    topic: '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acmeprod',
    subject: `${p.repository}:${p.tag ?? ''}`,
    eventType: 'Microsoft.ContainerRegistry.ImagePushed',
    eventTime: '2026-11-22T10:00:00.000Z',
    data: acrPush(p, id),
    dataVersion: '1.0',
    metadataVersion: '1',
  };
}

/** Event Grid's subscription validation event. */
export function eventGridValidation(code: string): Record<string, unknown> {
  return {
    id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
    topic: '/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acmeprod',
    subject: '',
    data: {
      validationCode: code,
      validationUrl: 'https://rp-westus.eventgrid.azure.net:553/eventsubscriptions/x/validate?id=y&t=z',
    },
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: '2026-11-22T10:00:00.000Z',
    metadataVersion: '1',
    dataVersion: '1',
  };
}

/** A distribution notification envelope with one manifest push (what GitLab's registry sends). */
export function distributionEnvelope(p: PushSpec, id = 'a4941db5-0000-4000-8000-000000000001'): unknown {
  return {
    events: [
      {
        id,
        timestamp: '2026-11-22T18:58:16.742Z',
        action: 'push',
        target: {
          mediaType: p.mediaType ?? OCI_MANIFEST,
          size: 401,
          length: 401,
          digest: p.digest,
          repository: p.repository,
          url: `http://${p.host}/v2/${p.repository}/manifests/${p.digest}`,
          ...(p.tag ? { tag: p.tag } : {}),
        },
        request: {
          id: '5328',
          addr: '127.0.0.1:48504',
          host: p.host,
          method: 'PUT',
          useragent: 'skopeo/1.9.3',
        },
        actor: {},
        source: { addr: 'vm:5055', instanceID: 'c4764cfe' },
      },
    ],
  };
}
