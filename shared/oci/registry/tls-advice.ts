/**
 * What to do about a TLS failure, in words for people: OpenSSL's own ("wrong version number", with
 * its source file and line) says nothing to someone who pointed a client at a plain-HTTP registry.
 * Both doors name their fix: the CLI's `--tls-verify=false`, the service's registry list.
 */

/** The codes and messages of an error and its causes (a few deep). */
function traits(err: unknown): { codes: string[]; text: string } {
  const codes: string[] = [];
  const texts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    texts.push(e.message);
    e = e.cause;
  }
  return { codes, text: texts.join('\n') };
}

/** OpenSSL's words when the other end does not speak TLS at all (it answered in plain HTTP). */
const PLAIN_HTTP = /wrong version number|packet length too long|http request/i;

/** Node's codes for a certificate the client does not trust. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The message for a transport error that is a TLS failure (what happened, then what to do), or
 * undefined for any other error.
 */
export function tlsFailureMessage(err: unknown): string | undefined {
  const { codes, text } = traits(err);
  if (codes.includes('ERR_SSL_WRONG_VERSION_NUMBER') || PLAIN_HTTP.test(text))
    return (
      'it does not speak TLS (OpenSSL: wrong version number): it serves plain HTTP. For such a ' +
      'registry pass --tls-verify=false to the CLI, or list it as http://HOST:PORT in the ' +
      'service\'s registries (GUIX_RECIPES_REGISTRIES, or "insecure": true in its configuration file)'
    );
  const untrusted = codes.find((c) => UNTRUSTED.has(c));
  if (untrusted !== undefined)
    return (
      `its TLS certificate is not trusted (${untrusted}). Give the registry's CA to the service ` +
      '(registries[].tls.caFile), or pass --tls-verify=false to the CLI if you trust the network'
    );
  return undefined;
}
