// The layering of the code, enforced by `npm run lint` (dependency-cruiser).
//
// Folders are stacked; a module may import from its own layer and from the layers BELOW it, never
// from one above. docs/architecture.md ("Layers") explains each layer. Any import cycle fails too.
// test/lint/layering.test.ts proves that an upward import and a cycle each fail with these rules.

/** Lowest first. `path` is matched against paths relative to the repository root. */
export const LAYERS = [
  { name: 'base', path: '^shared/[^/]+\\.ts$', what: 'errors.ts, package-info.ts: imported by all' },
  {
    name: 'content',
    path: '^shared/content/',
    what: 'digests, descriptors, verified and capped reads, manifests',
  },
  { name: 'archive', path: '^shared/archive/', what: 'inflate, tar walk, layer reads, archive indexes' },
  { name: 'guix', path: '^shared/guix/', what: 'the Guix formats: reader, printers, manifest, exports' },
  { name: 'oci', path: '^shared/oci/', what: 'image identity, the registry client, image sources' },
  {
    name: 'webhooks',
    path: '^shared/webhooks/',
    what: 'webhook senders: how each proves itself and announces pushes',
  },
  { name: 'config', path: '^shared/config/', what: 'the configuration and the registries it opens' },
  { name: 'scan', path: '^shared/scan/', what: 'an image source in, results per platform out' },
  { name: 'diff', path: '^shared/diff/', what: 'what changed between two recipes' },
  {
    name: 'attest',
    path: '^shared/attest/',
    what: 'SBOMs (CycloneDX, SPDX) and SLSA statements from recipes',
  },
  { name: 'policy', path: '^shared/policy/', what: 'policies and the verdict function' },
  { name: 'store', path: '^shared/store/', what: 'Redis: results, image records, tags, indexes' },
  { name: 'queue', path: '^shared/queue/', what: 'scan and resolve jobs, their ids, submission' },
  {
    name: 'gate',
    path: '^shared/gate/',
    what: 'verdicts for image references (tags resolved, scans waited for), Kubernetes admission',
  },
  { name: 'metrics', path: '^shared/metrics/', what: 'Prometheus metrics' },
  { name: 'workers', path: '^workers/', what: 'BullMQ processors' },
  { name: 'api', path: '^services/api/', what: 'the Fastify edge' },
  { name: 'cli', path: '^services/cli/', what: 'the command line (start runs api + workers)' },
];

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.name}-imports-upward`,
  comment: `shared layering: ${layer.name} (${layer.path}) may import only from its own layer and those below it (${
    LAYERS.slice(0, i)
      .map((l) => l.name)
      .join(', ') || 'none'
  }); see docs/architecture.md`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: LAYERS.slice(i + 1).map((l) => l.path) },
}));

export default {
  forbidden: [
    ...upward,
    {
      name: 'no-import-cycle',
      comment: 'modules must not import each other in a circle (directly or through others)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'production-imports-tests',
      comment: 'shared/, services/ and workers/ must not import test/ or bench/',
      severity: 'error',
      from: { path: '^(shared|services|workers)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to nothing',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|var|coverage)/|^test/fixtures/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.d.ts', '.d.mts'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      exportsFields: ['exports'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
