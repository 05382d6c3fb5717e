// The tar walk's header reading against archives GNU tar writes in each of its formats (ustar, gnu,
// posix/pax) with long names, long link targets, links and large files; the members it reports are
// the ones GNU tar lists, whatever the chunking of the input. Then hand-made headers for what tar
// does not write on request: base-256 sizes, pax sizes, header-only types with a size, bad
// checksums, unknown formats, truncation, and an abort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile, link } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { walkTar, type TarEntry } from '../../shared/archive/tar-walk.js';
import { isRecipeError, type ErrorCode } from '../../shared/errors.js';
import { signal } from '../scan/image-builder.js';

const rejectsWith = (code: ErrorCode) => (e: unknown) => isRecipeError(e, code);
/** The byte file f<n> is made of. */
const fillOf = (n: number): string => String.fromCharCode(0x61 + (n % 26));

interface Seen {
  path: string;
  type: TarEntry['type'];
  linkname?: string;
  size: number;
  /** The first bytes of files, read through the body. */
  head?: string;
}

/** Walk `tar` fed in chunks of `chunk` bytes; what the visitor saw. */
async function walk(tar: Buffer, chunk: number): Promise<{ seen: Seen[]; entries: number; unsafe: number }> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunk) pieces.push(tar.subarray(i, i + chunk));
  const seen: Seen[] = [];
  const r = await walkTar(
    Readable.from(pieces),
    async (e, body) => {
      const s: Seen = { path: e.path, type: e.type, size: e.size };
      if (e.linkname !== undefined) s.linkname = e.linkname;
      if (e.type === 'file') s.head = (await body.prefix(10)).toString('latin1');
      seen.push(s);
    },
    { signal: signal() },
  );
  return { seen, entries: r.entries, unsafe: r.unsafe };
}

void test('tar walk: the members GNU tar lists, in ustar, gnu and pax archives, whatever the chunking', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tar-formats-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  // Over 100 bytes with the file name (a GNU long name, a pax path, a ustar prefix), while the
  // directory alone fits ustar's name field (GNU tar leaves out a directory it cannot split).
  const longDir = `gnu/store/${'d'.repeat(50)}-${'e'.repeat(44)}`;
  await mkdir(join(root, longDir), { recursive: true });
  await writeFile(join(root, longDir, 'manifest'), '(manifest (version 4))');
  await writeFile(join(root, 'empty'), '');
  // Sizes around the block size: the padding after each body is skipped exactly.
  for (const n of [1, 511, 512, 513, 70_000])
    await writeFile(join(root, `f${n}`), Buffer.alloc(n, 0x61 + (n % 26)));
  await symlink(`/gnu/store/${'t'.repeat(120)}`, join(root, 'long-link')); // a target over 100 bytes
  await symlink('f1', join(root, 'short-link'));
  await link(join(root, 'f512'), join(root, 'hard'));
  await writeFile(join(root, 'naïve-ünïcode'), 'u');

  for (const format of ['gnu', 'posix', 'ustar']) {
    const args = ['-C', root, '--sort=name', `--format=${format}`, '-cf', '-', '.'];
    let tar: Buffer;
    try {
      tar = execFileSync('tar', args, { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      // ustar cannot hold a link target over 100 bytes: GNU tar says so and leaves the member out.
      assert.equal(format, 'ustar', String(err));
      tar = (err as { stdout: Buffer }).stdout;
    }
    const listed = execFileSync('tar', ['-tf', '-'], { input: tar })
      .toString()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.replace(/^\.\//, '').replace(/\/$/, ''))
      .filter((l) => l !== '.' && l !== '');
    for (const chunk of [1, 7, 512, 4096, tar.length]) {
      const { seen, unsafe } = await walk(tar, chunk);
      assert.equal(unsafe, 0);
      const paths = seen.map((s) => s.path).filter((p) => p !== '');
      assert.deepEqual(paths, listed, `${format}, chunks of ${chunk}`);
      const byPath = new Map(seen.map((s) => [s.path, s]));
      assert.deepEqual(byPath.get(`${longDir}/manifest`), {
        path: `${longDir}/manifest`,
        type: 'file',
        size: 22,
        head: '(manifest ',
      });
      assert.deepEqual(byPath.get('f513'), {
        path: 'f513',
        type: 'file',
        size: 513,
        head: fillOf(513).repeat(10),
      });
      assert.deepEqual(byPath.get('f70000'), {
        path: 'f70000',
        type: 'file',
        size: 70_000,
        head: fillOf(70_000).repeat(10),
      });
      assert.equal(byPath.get('empty')?.size, 0);
      assert.deepEqual(byPath.get('short-link'), {
        path: 'short-link',
        type: 'symlink',
        linkname: 'f1',
        size: 0,
      });
      assert.deepEqual(byPath.get('hard'), { path: 'hard', type: 'hardlink', linkname: 'f512', size: 0 });
      assert.equal(byPath.get('naïve-ünïcode')?.head, 'u');
      if (format !== 'ustar')
        assert.equal(byPath.get('long-link')?.linkname, `/gnu/store/${'t'.repeat(120)}`, format);
    }
  }
});

/** A ustar header block with a correct checksum; `edit` may change fields first. */
function header(
  name: string,
  opts: { flag?: string; size?: number; linkname?: string; edit?: (b: Buffer) => void } = {},
): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write('0000644\0', 100, 'latin1');
  b.write('0000000\0', 108, 'latin1');
  b.write('0000000\0', 116, 'latin1');
  b.write(`${(opts.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  b.write('00000000000\0', 136, 'latin1');
  b.write(opts.flag ?? '0', 156, 'latin1');
  if (opts.linkname !== undefined) b.write(opts.linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 'latin1');
  opts.edit?.(b);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const v of b) sum += v;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

/** `size` bytes of `fill`, padded to the block size. */
function data(size: number, fill = 0x61): Buffer {
  return Buffer.concat([Buffer.alloc(size, fill), Buffer.alloc((512 - (size % 512)) % 512)]);
}

function pax(records: Record<string, string>): Buffer {
  let text = '';
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
    text += `${len}${body}`;
  }
  const bytes = Buffer.from(text);
  return Buffer.concat([
    header('PaxHeaders/x', { flag: 'x', size: bytes.length }),
    bytes,
    Buffer.alloc((512 - (bytes.length % 512)) % 512),
  ]);
}

const END = Buffer.alloc(1024);

void test('tar walk: base-256 and pax sizes, pax names, header-only types, a lone zero block', async () => {
  const big = header('b256', {
    size: 0,
    edit: (b) => {
      b.fill(0, 124, 136);
      b[124] = 0x80;
      b.writeUIntBE(600, 130, 6);
    },
  });
  const tar = Buffer.concat([
    big,
    data(600, 0x62),
    pax({ path: `gnu/store/${'p'.repeat(150)}/manifest`, size: '700' }),
    header('short-name', { size: 3 }), // the pax size wins over the header's
    data(700, 0x63),
    header('dir-with-size', { flag: '5', size: 5000 }), // no data follows a directory, as in Go
    header('old-dir/', { flag: '\0' }),
    Buffer.alloc(512), // a lone zero block is skipped
    header('last', { size: 1 }),
    data(1, 0x64),
    END,
    header('after-the-end', { size: 1 }),
  ]);
  for (const chunk of [3, 512, tar.length]) {
    const { seen, entries } = await walk(tar, chunk);
    assert.equal(entries, 5);
    assert.deepEqual(seen, [
      { path: 'b256', type: 'file', size: 600, head: 'b'.repeat(10) },
      { path: `gnu/store/${'p'.repeat(150)}/manifest`, type: 'file', size: 700, head: 'c'.repeat(10) },
      { path: 'dir-with-size', type: 'directory', size: 0 },
      { path: 'old-dir', type: 'directory', size: 0 },
      { path: 'last', type: 'file', size: 1, head: 'd' },
    ]);
  }
});

void test('tar walk: bad checksums, unknown formats, bad numbers and truncation are invalid-image', async () => {
  const good = Buffer.concat([header('a', { size: 600 }), data(600)]);
  const cases: [string, Buffer][] = [
    ['checksum', Buffer.concat([header('a', { edit: () => {} }).fill(0x31, 148, 150), END])],
    ['format', Buffer.concat([header('a', { edit: (b) => b.write('notar\0', 257, 'latin1') }), END])],
    ['size', Buffer.concat([header('a', { edit: (b) => b.write('12x4\0', 124, 'latin1') }), END])],
    ['negative base-256', Buffer.concat([header('a', { edit: (b) => b.fill(0xff, 124, 136) }), END])],
    ['pax size', Buffer.concat([pax({ size: '-1' }), header('a'), END])],
    ['inside a body', good.subarray(0, 512 + 300)],
    ['inside a header', good.subarray(0, 200)],
    ['inside the padding', good.subarray(0, 512 + 600)],
    ['inside a pax header', pax({ path: 'x'.repeat(600) }).subarray(0, 700)],
  ];
  for (const [what, tar] of cases)
    for (const chunk of [1, tar.length])
      await assert.rejects(walk(tar, chunk), rejectsWith('invalid-image'), `${what}, chunks of ${chunk}`);
  // An extended header larger than 1 MiB is refused before it is read.
  const huge = Buffer.concat([header('PaxHeaders/x', { flag: 'x', size: 2 * 1024 * 1024 }), END]);
  await assert.rejects(walk(huge, 512), rejectsWith('invalid-image'));
});

void test('tar walk: a body read whole, a body larger than asked, and an abort mid-walk', async () => {
  const tar = Buffer.concat([
    header('m', { size: 5000 }),
    data(5000, 0x6d),
    header('n', { size: 2 }),
    data(2),
    END,
  ]);
  const bodies: string[] = [];
  await walkTar(
    Readable.from([tar.subarray(0, 1000), tar.subarray(1000)]),
    async (e, body) => {
      if (e.path === 'm') {
        await assert.rejects(body.all(4999), rejectsWith('size-limit'));
        const first = await body.prefix(3);
        const whole = await body.all(5000);
        bodies.push(`${first.toString()}:${whole.length}:${whole.subarray(4990).toString()}`);
      }
    },
    { signal: signal() },
  );
  assert.deepEqual(bodies, [`mmm:5000:${'m'.repeat(10)}`]);

  const ac = new AbortController();
  const endless = new Readable({ read() {} });
  endless.push(Buffer.concat([header('first', { size: 1 }), data(1)]));
  const walking = walkTar(endless, () => void ac.abort(), { signal: ac.signal });
  await assert.rejects(walking, rejectsWith('aborted'));
  assert.equal(endless.destroyed, true);
});
