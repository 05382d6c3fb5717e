/**
 * Text from images and manifests, made safe for a terminal. Package names, versions, URLs and file
 * names are data from whoever built the image: an escape sequence in them could rewrite the screen
 * or the window title, a newline could forge a line of the report, a bidi override could show a URL
 * that is not the one recorded. The people-facing outputs (the summary, error lines) print them
 * through `printable`; the Scheme and JSON outputs escape by their own rules.
 */

/** C0 and C1 controls, DEL, line/paragraph separators, and the bidi marks, embeddings and isolates. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every unsafe character written as `\xHH` or `\uHHHH`; other text, non-ASCII included, as is. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
