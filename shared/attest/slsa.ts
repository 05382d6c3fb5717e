/**
 * A recipe as an in-toto Statement v1 whose predicate is SLSA Provenance v1 ("slsa" throughout the
 * project: "provenance" already names Guix's own provenance data). The build type and the builder id
 * are ours, documented in docs/sbom.md: the statement is recovered from the subject after the build,
 * not issued by its builder, and it says so in `internalParameters.recovery`.
 */
import type { AttestInput } from './attest-input.js';
import { documentTimestamp, recoveryNote, splitDigest, subjectPlatform } from './attest-input.js';
import { channelUri } from './identifiers.js';
import { rebuildCommand, recipeFile } from './recipe-rebuild.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SLSA_PREDICATE_TYPE = 'https://slsa.dev/provenance/v1';
/** Our build type: rebuild a Guix recipe with `guix time-machine` (docs/sbom.md, "SLSA"). */
export const SLSA_BUILD_TYPE = 'urn:guix-recipes:slsa:build-type:guix-recipe:v1';
/**
 * The "builder": the recovery by guix-recipes, the only party that vouches for this statement. No
 * verifier that expects a real build platform's id accepts it, which is the point.
 */
export const SLSA_BUILDER_ID = 'urn:guix-recipes:slsa:builder:recovered-from-subject:v1';

/** A git commit id as DigestSet's `gitCommit` holds it: SHA-1 or SHA-256, lower-case hex. */
const GIT_COMMIT_RE = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** in-toto ResourceDescriptor. */
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface SlsaStatement {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: ResourceDescriptor[];
  predicateType: typeof SLSA_PREDICATE_TYPE;
  predicate: {
    buildDefinition: {
      buildType: string;
      /** `manifest` for a profile's recipe, `configuration` for a system's (when it stores one). */
      externalParameters: { kind: string; channels?: string; manifest?: string; configuration?: string };
      internalParameters: {
        recovery: {
          note: string;
          tool: string;
          toolVersion: string;
          recoveredOn: string;
          command: string;
          profile?: string;
          packagesWithoutProvenance: string[];
        };
      };
      resolvedDependencies: ResourceDescriptor[];
    };
    runDetails: {
      builder: { id: string; version: Record<string, string> };
    };
  };
}

/** The SLSA statement of a recipe (plain JSON data; `serialiseDocument` gives its bytes). */
export function slsaStatement(input: AttestInput): SlsaStatement {
  const { recipe, subject, tool } = input;
  const recoveredOn = documentTimestamp(input.scannedAt);
  const { algorithm, hex } = splitDigest(subject.digest);
  const subjectAnnotations: Record<string, string> = {
    digestOf: subject.kind === 'image' ? 'image-manifest' : 'profile-manifest',
  };
  const platform = subjectPlatform(subject);
  if (platform !== undefined) subjectAnnotations.platform = platform;

  const resolvedDependencies: ResourceDescriptor[] = [];
  for (const ch of recipe.channels) {
    const annotations: Record<string, unknown> = {};
    if (ch.branch !== null) annotations.branch = ch.branch;
    if (ch.introduction !== null)
      annotations.introduction = { commit: ch.introduction.commit, signer: ch.introduction.signer };
    // Every commit of the channel some package was built from; channels.scm pins the first.
    const commits = ch.commits.includes(ch.commit) ? ch.commits : [ch.commit, ...ch.commits];
    const uri = channelUri(ch.url);
    for (const commit of commits) {
      const isCommit = commit !== null && GIT_COMMIT_RE.test(commit);
      // A ResourceDescriptor needs a uri or a digest: a hand-made manifest can give neither.
      if (uri === undefined && !isCommit) continue;
      resolvedDependencies.push({
        name: ch.name,
        ...(uri === undefined ? {} : { uri }),
        ...(isCommit ? { digest: { gitCommit: commit } } : {}),
        annotations: {
          ...(uri === undefined ? { url: ch.url } : {}),
          ...(isCommit ? {} : { commit }),
          ...annotations,
          inChannelsFile: commit === ch.commit,
        },
      });
    }
  }

  const file = recipeFile(recipe);
  const externalParameters = {
    kind: recipe.kind,
    ...(recipe.texts.channels === undefined ? {} : { channels: recipe.texts.channels }),
    // A profile's manifest.scm, or a system's configuration.scm (when it stores one).
    ...(file.text === undefined
      ? {}
      : { [recipe.kind === 'system' ? 'configuration' : 'manifest']: file.text }),
  };
  const recovery = {
    note: recoveryNote(input),
    tool: tool.name,
    toolVersion: tool.version,
    recoveredOn,
    command: rebuildCommand(recipe, subject),
    ...(recipe.profile === null ? {} : { profile: recipe.profile }),
    packagesWithoutProvenance: recipe.packagesWithoutProvenance,
  };

  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: subject.name, digest: { [algorithm]: hex }, annotations: subjectAnnotations }],
    predicateType: SLSA_PREDICATE_TYPE,
    predicate: {
      buildDefinition: {
        buildType: SLSA_BUILD_TYPE,
        externalParameters,
        internalParameters: { recovery },
        resolvedDependencies,
      },
      runDetails: {
        builder: { id: SLSA_BUILDER_ID, version: { [tool.name]: tool.version } },
      },
    },
  };
}
