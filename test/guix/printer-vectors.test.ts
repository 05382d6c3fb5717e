/**
 * Byte-exact vectors: Guix's own outputs on the classic (Guile 3.0.8/3.0.9) and modern (Guile
 * 3.0.10+) printers. The forms are built here as Datum values from the facts the files hold (channel
 * names, URLs, commits, package specs, transformation options), printed, and compared with the bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { Datum } from '../../shared/guix/sexp/datum.js';
import { DottedList, sym } from '../../shared/guix/sexp/datum.js';
import type { PrinterStyle } from '../../shared/guix/sexp/pretty-print.js';
import { prettyPrint } from '../../shared/guix/sexp/pretty-print.js';
import { readDatum, readDatums } from '../../shared/guix/sexp/reader.js';

const IMAGES = 'test/fixtures/guix-images';
const VECTORS = 'test/fixtures/guix-vectors';
const CHANNEL_PREFIX = '     ';

const quote = (x: Datum): Datum => [sym('quote'), x];

interface ChannelFacts {
  name: string;
  url: string;
  branch: string | undefined;
  commit: string;
  introduction: { commit: string; fingerprint: string } | undefined;
}

/** `channel->code` of Guix, as a datum. */
function channelForm(c: ChannelFacts): Datum {
  const form: Datum[] = [sym('channel'), [sym('name'), quote(sym(c.name))], [sym('url'), c.url]];
  if (c.branch !== undefined) form.push([sym('branch'), c.branch]);
  form.push([sym('commit'), c.commit]);
  if (c.introduction !== undefined) {
    form.push([
      sym('introduction'),
      [
        sym('make-channel-introduction'),
        c.introduction.commit,
        [sym('openpgp-fingerprint'), c.introduction.fingerprint],
      ],
    ]);
  }
  return form;
}

/** Layout gone: runs of white space outside string literals become one space. */
function collapseSpaces(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")|\s+/g, (m: string, str: string | undefined) => str ?? ' ');
}

/** The facts of one `(channel ...)` block of an export, whatever its layout. */
function channelFacts(block: string): ChannelFacts {
  const flat = collapseSpaces(block);
  const m = (re: RegExp): string | undefined => re.exec(flat)?.[1];
  const intro = /\(make-channel-introduction "([0-9a-f]+)" \(openpgp-fingerprint "([^"]+)"\)\)/.exec(flat);
  return {
    name: m(/\(name '([^\s()]+)\)/) as string,
    url: m(/\(url "([^"]*)"\)/) as string,
    branch: m(/\(branch "([^"]*)"\)/),
    commit: m(/\(commit "([0-9a-f]+)"\)/) as string,
    introduction: intro ? { commit: intro[1] as string, fingerprint: intro[2] as string } : undefined,
  };
}

/** The channel blocks of an export-channels file: from each `(channel` line to the next one or `)`. */
function channelBlocks(text: string): string[] {
  const lines = text.split('\n').filter((l) => !l.startsWith(CHANNEL_PREFIX + ';;'));
  const start = lines.indexOf('(list') + 1;
  const end = lines.lastIndexOf(')');
  const blocks: string[] = [];
  for (let i = start; i < end; i++) {
    const line = lines[i] as string;
    if (line === CHANNEL_PREFIX + '(channel') blocks.push('');
    blocks[blocks.length - 1] += line + '\n';
  }
  return blocks;
}

/** The top-level forms of an export-manifest file (after its header), each with its final newline. */
function manifestForms(text: string): string[] {
  const body = text.slice(text.indexOf('\n\n') + 2);
  return body.split('\n\n').map((f, i, all) => (i < all.length - 1 ? f + '\n' : f));
}

/** Package specs of a `(specifications->manifest (list ...))` form. */
function specsForm(specs: readonly string[]): Datum {
  return [sym('specifications->manifest'), [sym('list'), ...specs]];
}

/** Builds, from its facts, a form of an export-manifest file. */
function manifestFormFromText(formText: string): Datum {
  const flat = collapseSpaces(formText).trim();
  if (flat.startsWith('(specifications->manifest'))
    return specsForm([...flat.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string));
  if (flat === '(use-modules (guix transformations))')
    return [sym('use-modules'), [sym('guix'), sym('transformations')]];
  const def = /^\(define (transform\d+) \(options->transformation '\((.*)\)\)\)$/.exec(flat);
  if (def) {
    const opts = [...(def[2] as string).matchAll(/\(([^\s()]+) \. "([^"]*)"\)/g)].map(
      (m) => new DottedList([sym(m[1] as string)], m[2] as string),
    );
    return [sym('define'), sym(def[1] as string), [sym('options->transformation'), quote(opts)]];
  }
  assert.ok(flat.startsWith('(packages->manifest (list '), `unknown form ${flat}`);
  const items: Datum[] = [];
  const itemRe = /(\(list )?(?:\((transform\d+) )?\(specification->package "([^"]*)"\)\)?(?: "([^"]*)"\))?/g;
  for (const m of flat.slice('(packages->manifest (list '.length).matchAll(itemRe)) {
    const spec: Datum = [sym('specification->package'), m[3] as string];
    const pkg = m[2] ? [sym(m[2]), spec] : spec;
    items.push(m[1] ? [sym('list'), pkg, m[4] as string] : pkg);
  }
  return [sym('packages->manifest'), [sym('list'), ...items]];
}

interface ExportFile {
  path: string;
  printer: PrinterStyle;
  kind: 'channels' | 'manifest';
}

function exportFiles(): ExportFile[] {
  const files: ExportFile[] = [];
  const add = (path: string, name: string): void => {
    if (!name.endsWith('.scm')) return;
    const printer: PrinterStyle = name.includes('guile310') ? 'modern' : 'classic';
    files.push({ path, printer, kind: name.includes('channels') ? 'channels' : 'manifest' });
  };
  for (const dir of readdirSync(IMAGES)) {
    if (dir.endsWith('.md')) continue;
    for (const name of readdirSync(join(IMAGES, dir))) add(join(IMAGES, dir, name), name);
  }
  for (const name of readdirSync(VECTORS)) add(join(VECTORS, name), name);
  return files;
}

void describe('pretty-print byte-exact vectors', () => {
  const files = exportFiles();

  void it('covers both printers on channels and manifests', () => {
    for (const printer of ['classic', 'modern'] as const) {
      for (const kind of ['channels', 'manifest'] as const) {
        assert.ok(
          files.filter((f) => f.printer === printer && f.kind === kind).length >= 10,
          `${printer} ${kind}`,
        );
      }
    }
  });

  for (const f of files) {
    void it(`${f.printer}: ${f.path} (forms built from its facts)`, () => {
      const text = readFileSync(f.path, 'utf8');
      const parts = f.kind === 'channels' ? channelBlocks(text) : manifestForms(text);
      assert.ok(parts.length > 0);
      for (const part of parts) {
        const form = f.kind === 'channels' ? channelForm(channelFacts(part)) : manifestFormFromText(part);
        const opts =
          f.kind === 'channels'
            ? { printer: f.printer, perLinePrefix: CHANNEL_PREFIX }
            : { printer: f.printer };
        assert.equal(prettyPrint(form, opts), part);
      }
    });
  }

  void it('the example-1 channel from the spec, both printers', () => {
    const facts: ChannelFacts = {
      name: 'guix',
      url: 'https://git.guix.gnu.org/guix.git',
      branch: 'master',
      commit: '12dcbe5876edcf574d58033f8bcb46b99bed4700',
      introduction: {
        commit: '9edb3f66fd807b096b48283debdcddccfea34bad',
        fingerprint: 'BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA',
      },
    };
    const classic = prettyPrint(channelForm(facts), { perLinePrefix: CHANNEL_PREFIX });
    const modern = prettyPrint(channelForm(facts), { perLinePrefix: CHANNEL_PREFIX, printer: 'modern' });
    assert.equal(
      channelBlocks(readFileSync(join(VECTORS, 'example1.export-channels.guile309.scm'), 'utf8'))[0],
      classic,
    );
    assert.equal(
      channelBlocks(readFileSync(join(VECTORS, 'example1.export-channels.guile310.scm'), 'utf8'))[0],
      modern,
    );
    assert.match(classic, /^ {5}\(channel\n {7}\(name 'guix\)\n/);
    assert.match(classic, /\n {7}\(commit\n {9}"12dcbe58/);
    assert.match(modern, /\n {6}\(commit "12dcbe58[0-9a-f]+"\)\n/);
  });

  void it('reprints every export form read back by the reader (both printers)', () => {
    for (const f of files) {
      const text = readFileSync(f.path, 'utf8');
      const parts = f.kind === 'channels' ? channelBlocks(text) : manifestForms(text);
      for (const part of parts) {
        const opts =
          f.kind === 'channels'
            ? { printer: f.printer, perLinePrefix: CHANNEL_PREFIX }
            : { printer: f.printer };
        assert.equal(prettyPrint(readDatum(part), opts), part, f.path);
      }
    }
  });

  void it('classic reprints every profile manifest exactly as Guix wrote it', () => {
    const manifests = [
      ...readdirSync(IMAGES)
        .filter((d) => !d.endsWith('.md'))
        .map((d) => join(IMAGES, d, 'profile-manifest')),
      ...readdirSync(VECTORS)
        .filter((n) => n.endsWith('profile-manifest'))
        .map((n) => join(VECTORS, n)),
    ];
    assert.ok(manifests.length >= 12);
    for (const path of manifests) {
      const text = readFileSync(path, 'utf8');
      // Guix's header: four comment lines and an empty line (older files have none).
      const body = text.startsWith(';;') ? text.split('\n').slice(5).join('\n') : text;
      const forms = readDatums(body);
      assert.equal(forms.length, 1, path);
      assert.equal(prettyPrint(forms[0] as Datum), body, path);
      assert.deepEqual(readDatum(prettyPrint(forms[0] as Datum, { printer: 'modern' })), forms[0], path);
    }
  });
});
