/**
 * Certificates for TLS tests, made with the openssl program in a folder of the test's: a CA
 * (`NAME.crt`, `NAME.key`) and certificates it signs with the X.509 extensions given (subject
 * alternative names, extended key usage), each valid for two days.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certificates {
  /** The path of a file in the folder (`ca.crt`, `server.key`, ...). */
  file: (name: string) => string;
  /** A self-signed CA: NAME.crt and NAME.key. */
  makeCa: (name: string) => void;
  /** NAME.crt and NAME.key signed by the CA `ca`, with `ext` as its extension file. */
  makeCert: (name: string, ca: string, ext: string) => void;
}

export function certificates(dir: string): Certificates {
  const file = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  return {
    file,
    makeCa: (name) => {
      ssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        '-keyout',
        file(`${name}.key`),
        '-out',
        file(`${name}.crt`),
      );
    },
    makeCert: (name, ca, ext) => {
      writeFileSync(file(`${name}.ext`), ext);
      ssl(
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        `/CN=${name}`,
        '-keyout',
        file(`${name}.key`),
        '-out',
        file(`${name}.csr`),
      );
      ssl(
        'x509',
        '-req',
        '-in',
        file(`${name}.csr`),
        '-CA',
        file(`${ca}.crt`),
        '-CAkey',
        file(`${ca}.key`),
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        file(`${name}.ext`),
        '-out',
        file(`${name}.crt`),
      );
    },
  };
}
