/**
 * Secrets never reach a message or a log line: URLs lose their user info and query string
 * (pre-signed URLs authenticate there), and header maps lose their credentials.
 */

/** A URL fit for an error message: no user info, query values replaced. */
export function redactUrl(url: URL | string): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return '<unparseable url>';
  }
  const query = u.search
    ? `?${[...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=REDACTED`).join('&')}`
    : '';
  return `${u.protocol}//${u.host}${u.pathname}${query}`;
}
