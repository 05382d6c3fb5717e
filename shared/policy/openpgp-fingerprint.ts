/**
 * OpenPGP fingerprints of channel introductions. Guix records the signer as
 * `openpgp-format-fingerprint` prints it ("BBB0 2DDF ... 54FA", groups of four, two spaces in the
 * middle); people paste it with or without spaces, in either case. Fingerprints compare as their hex
 * digits, spaces dropped and case ignored.
 */

const HEX40_RE = /^[0-9A-F]{40}$/;

/** The 40 hex digits of `s`, upper case, without spaces; undefined when `s` is not a fingerprint. */
export function normaliseFingerprint(s: string): string | undefined {
  const hex = s.replace(/ /g, '').toUpperCase();
  return HEX40_RE.test(hex) ? hex : undefined;
}

/** A sentence saying what is wrong with `s` as a fingerprint, or undefined when it is one. */
export function fingerprintError(s: string): string | undefined {
  return normaliseFingerprint(s) === undefined
    ? `${JSON.stringify(s)} is not an OpenPGP fingerprint (want 40 hex digits, spaces allowed)`
    : undefined;
}
