/**
 * The stable codes of verdict reasons, with what each means. Codes are part of the API and the CLI's
 * output: add codes freely, never rename or reuse one. docs/policies.md lists them (a test checks it).
 */
export const REASON_CODES = {
  'not-scanned': 'the image has no recipe stored yet: never scanned, or its scan is queued or running',
  'scan-failed': "the image's last scan failed, so its recipe is unknown",
  'no-recipe': 'no Guix recipe: not a Guix image, no profile found in it, or an index with no image',
  'no-provenance': 'the recipe records no provenance, so the channels it was built from are unknown',
  'partial-provenance': 'some packages of the recipe carry no provenance',
  'channel-not-allowed': 'a channel whose URL the policy does not allow',
  'no-introduction': 'a channel recorded without introduction, where the policy requires one',
  'introduction-mismatch': 'a channel whose introduction differs from the one the policy requires',
  'commit-denied': "a channel commit on that channel's deny list",
  'commit-not-allowed': "a channel commit missing from that channel's allow list",
  'package-denied': 'a package, or a propagated input, that the deny list names',
  'transformations-denied': 'a package built with transformations, which the policy does not allow',
} as const;

export type ReasonCode = keyof typeof REASON_CODES;
