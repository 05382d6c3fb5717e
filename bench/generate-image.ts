/**
 * Big single-layer Guix images for the benchmarks, grown from a small fixture of
 * test/fixtures/guix-images: the fixture's layer members are kept and filler store items are added
 * before them (profile at the `end` of the layer), after them (`start`), or half and half (`middle`).
 * Each filler item is a store directory with one large library (of which a `compressible` share is
 * text-like, the rest random) and a few dozen small files, as real store items have.
 *
 * Everything is streamed to disk (the layer is never held in memory) into an OCI image layout under
 * a temp dir; one layout holds several images (`<position>-<compression>` ref names) whose blobs are
 * the same tar compressed as gzip, zstd (the `zstd` program, when installed) or not at all.
 * `writeDockerArchive` wraps one of them as `guix pack -f docker` writes it. The caller deletes `dir`.
 */
import { spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { buildRecipe } from '../shared/guix/build-recipe.js';
import type { Compression } from '../shared/content/media-types.js';

export type Position = 'start' | 'middle' | 'end';

export interface GrowOptions {
  /** Uncompressed filler to add, MiB (the layer ends up this big, plus the fixture). */
  mib: number;
  position: Position;
  /** Compressions to write the layer in. */
  compressions: readonly Compression[];
  /** Share (0..1) of filler bytes that compress well. Default 0.5. */
  compressible?: number;
  /** Size of one filler store item, MiB. Default 16. */
  itemMib?: number;
  /** Small files per filler item (docs, headers). Default 48. */
  smallFiles?: number;
  /** gzip level. Default 1 (generation speed; inflate speed barely depends on it). */
  gzipLevel?: number;
  /** PRNG seed (same seed, same bytes). Default 1. */
  seed?: number;
  /** Ref names are `<name>-<compression>`. Default: the position. */
  name?: string;
  signal: AbortSignal;
}

/** One image of the layout. */
export interface GrownImage {
  /** Ref name in index.json, e.g. `end-gzip`. */
  ref: string;
  position: Position;
  compression: Compression;
  /** The layer blob: path, digest and size as stored (compressed). */
  layer: { path: string; digest: `sha256:${string}`; size: number; mediaType: string };
  /** Uncompressed tar bytes of the layer. */
  tarBytes: number;
  /** The fixture's profile path (what the scan must find). */
  profile: string;
  /** Packages of the fixture's recipe (what a scan of the big image must find too). */
  packages: number;
}

const MEDIA: Record<Compression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

const FIXTURES = new URL('../test/fixtures/guix-images/', import.meta.url);

/** Whether the `zstd` program runs here (zstd layers are written with it). */
export async function haveZstdProgram(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('zstd', ['--version'], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('exit', (code) => resolve(code === 0));
  });
}

interface FixtureLayer {
  config: Record<string, unknown>;
  members: { header: tar.Header; body: Buffer }[];
  profile: string;
  packages: number;
}

/** The fixture's config and layer members (small: held in memory). */
async function readFixture(fixture: string): Promise<FixtureLayer> {
  const files = new Map<string, Buffer>();
  const outer = tar.extract();
  const done = pipeline(
    createReadStream(new URL(`${fixture}/image.tar.gz`, FIXTURES)),
    createGunzip(),
    outer,
  );
  for await (const entry of outer) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    files.set(entry.header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
  }
  await done;
  const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as {
    Config: string;
    Layers: string[];
  }[];
  const image = manifest[0]!;
  if (image.Layers.length !== 1) throw new Error(`${fixture}: only single-layer fixtures can grow`);
  const config = JSON.parse(files.get(image.Config)!.toString('utf8')) as Record<string, unknown>;
  const members: FixtureLayer['members'] = [];
  const inner = tar.extract();
  const innerDone = pipeline(Readable.from([files.get(image.Layers[0]!)!]), inner);
  for await (const entry of inner) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    members.push({ header: { ...entry.header }, body: Buffer.concat(chunks) });
  }
  await innerDone;
  const profile = (await readFile(new URL(`${fixture}/profile-path`, FIXTURES), 'utf8')).trim();
  const pm = await readFile(new URL(`${fixture}/profile-manifest`, FIXTURES), 'utf8');
  const packages = buildRecipe(pm, { profile }).packages.length;
  return { config, members, profile, packages };
}

/** xorshift128: fast, seeded, good enough for incompressible filler. */
class Prng {
  #s = new Uint32Array(4);
  constructor(seed: number) {
    this.#s.set([seed | 1, 0x9e3779b9, 0x243f6a88, 0xb7e15162]);
    for (let i = 0; i < 16; i++) this.next();
  }
  next(): number {
    const s = this.#s;
    let t = s[3]!;
    t ^= t << 11;
    t ^= t >>> 8;
    s[3] = s[2]!;
    s[2] = s[1]!;
    s[1] = s[0]!;
    t ^= s[0]! ^ (s[0]! >>> 19);
    s[0] = t;
    return t >>> 0;
  }
  fillRandom(buf: Buffer): void {
    const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
    for (let i = 0; i < words.length; i++) words[i] = this.next();
  }
}

const WORDS = (
  'the of and store profile guix package derivation build output input library share lib bin ' +
  'include python numpy gcc glibc module symbol section text data relocation table version'
)
  .split(' ')
  .map((w) => Buffer.from(`${w} `));

/** Filler bytes: 64 KiB blocks, each text-like (compresses ~4x) with probability `compressible`. */
class Filler {
  readonly #rng: Prng;
  constructor(
    seed: number,
    private readonly compressible: number,
  ) {
    this.#rng = new Prng(seed);
  }
  block(size: number): Buffer {
    const buf = Buffer.allocUnsafeSlow(size); // unpooled: word-aligned for the Uint32Array view
    if (this.#rng.next() / 2 ** 32 < this.compressible) {
      let off = 0;
      while (off < size) {
        const r = this.#rng.next();
        off += WORDS[r % WORDS.length]!.copy(buf, off);
        if ((r & 0xf00) === 0 && off < size) buf[off++] = 0x0a;
      }
    } else {
      this.#rng.fillRandom(buf);
      buf.fill(0, size & ~3);
    }
    return buf;
  }
}

const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz';

/** Hashes and counts what flows through. */
class Tap extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

type HeaderArg = Partial<tar.Header> & Pick<tar.Header, 'name'>;

async function entry(pack: tar.Pack, header: HeaderArg, body?: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (body === undefined) pack.entry(header, done);
    else pack.entry(header, body, done);
  });
}

/** Stream one big file's body into the pack with backpressure. */
async function bigEntry(pack: tar.Pack, name: string, size: number, filler: Filler): Promise<void> {
  if (size === 0) return entry(pack, { name, size: 0, mode: 0o444, mtime: new Date(1000) }, Buffer.alloc(0));
  let sink!: ReturnType<tar.Pack['entry']>;
  const ended = new Promise<void>((resolve, reject) => {
    sink = pack.entry({ name, size, mode: 0o444, mtime: new Date(1000) }, (err) =>
      err ? reject(err) : resolve(),
    );
  });
  const BLOCK = 64 * 1024;
  let off = 0;
  for (; size - off > BLOCK; off += BLOCK) {
    if (!sink.write(filler.block(BLOCK)))
      await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
  }
  sink.end(filler.block(size - off));
  await ended;
}

async function writeFillerItems(
  pack: tar.Pack,
  from: number,
  to: number,
  itemBytes: number,
  smallFiles: number,
  filler: Filler,
  names: string[],
): Promise<void> {
  const dir = { type: 'directory' as const, mode: 0o555, mtime: new Date(1000) };
  for (let i = from; i < to; i++) {
    const item = names[i]!;
    await entry(pack, { ...dir, name: `${item}/` });
    await entry(pack, { ...dir, name: `${item}/share/` });
    await entry(pack, { ...dir, name: `${item}/share/doc/` });
    let small = 0;
    for (let j = 0; j < smallFiles; j++) {
      const body = filler.block(512 + ((j * 977) % 7680));
      small += body.length;
      await entry(
        pack,
        { name: `${item}/share/doc/file-${j}.txt`, mode: 0o444, mtime: new Date(1000) },
        body,
      );
    }
    await entry(pack, { ...dir, name: `${item}/lib/` });
    await bigEntry(pack, `${item}/lib/libfiller-${i}.so`, Math.max(0, itemBytes - small), filler);
  }
}

/** A layout being filled: add images, then `finish()` writes index.json. */
export class BenchLayout {
  readonly images: GrownImage[] = [];
  #fixture: FixtureLayer | undefined;

  private constructor(
    /** The OCI layout directory (inside `root`). */
    readonly dir: string,
    /** The temp directory to delete. */
    readonly root: string,
    readonly fixture: string,
  ) {}

  static async create(tmp: string, fixture: string): Promise<BenchLayout> {
    const root = await mkdtemp(join(tmp, 'guix-recipes-bench-'));
    const dir = join(root, 'layout');
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    return new BenchLayout(dir, root, fixture);
  }

  /** Grow the fixture to one layer of about `mib` MiB and store it in each asked compression. */
  async grow(opts: GrowOptions): Promise<GrownImage[]> {
    const fx = (this.#fixture ??= await readFixture(this.fixture));
    const seed = opts.seed ?? 1;
    const itemBytes = Math.max(1, opts.itemMib ?? 16) * 1024 * 1024;
    const count = Math.max(1, Math.ceil((opts.mib * 1024 * 1024) / itemBytes));
    const rng = new Prng(seed * 7919);
    // Store-like names: "00000..." sorts before any real hash (end), "zzzzz..." after (start).
    const names = Array.from({ length: count }, (_, i) => {
      const before = opts.position === 'end' || (opts.position === 'middle' && i < count / 2);
      let h = before ? '00000' : 'zzzzz';
      for (let k = 0; k < 27; k++) h += NIX32[rng.next() % 32];
      return `gnu/store/${h}-filler-${i}-1.0`;
    });
    const filler = new Filler(seed, opts.compressible ?? 0.5);
    const smallFiles = opts.smallFiles ?? 48;
    const pre = opts.position === 'end' ? count : opts.position === 'middle' ? Math.ceil(count / 2) : 0;

    // The uncompressed tar first (its sha256 is the diff_id), then each compression from it.
    const tarPath = join(this.root, `layer-${opts.name ?? opts.position}.tar`);
    const pack = tar.pack();
    const tap = new Tap();
    const written = pipeline(pack, tap, createWriteStream(tarPath), { signal: opts.signal });
    await writeFillerItems(pack, 0, pre, itemBytes, smallFiles, filler, names);
    for (const m of fx.members) await entry(pack, m.header, m.header.type === 'file' ? m.body : undefined);
    await writeFillerItems(pack, pre, count, itemBytes, smallFiles, filler, names);
    pack.finalize();
    await written;
    const diffId = `sha256:${tap.hash.digest('hex')}` as const;
    const tarBytes = tap.bytes;

    const out: GrownImage[] = [];
    for (const compression of opts.compressions) {
      const layer = await this.#storeBlob(tarPath, compression, opts);
      const image: GrownImage = {
        ref: `${opts.name ?? opts.position}-${compression}`,
        position: opts.position,
        compression,
        layer: { ...layer, mediaType: MEDIA[compression] },
        tarBytes,
        profile: fx.profile,
        packages: fx.packages,
      };
      await this.#storeImage(image, diffId, fx.config);
      out.push(image);
    }
    await rm(tarPath, { force: true });
    this.images.push(...out);
    return out;
  }

  async #storeBlob(
    tarPath: string,
    compression: Compression,
    opts: GrowOptions,
  ): Promise<{ path: string; digest: `sha256:${string}`; size: number }> {
    const tmp = join(this.root, `blob-${compression}.tmp`);
    const tap = new Tap();
    if (compression === 'zstd') {
      // Node 20 has no zstd compressor; the zstd program streams it.
      const child = spawn('zstd', ['-q', '-1', '-T0', '-c', tarPath], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<number | null>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', resolve);
      });
      await pipeline(child.stdout, tap, createWriteStream(tmp), { signal: opts.signal });
      const code = await exited;
      if (code !== 0) throw new Error(`zstd exited with ${code}`);
    } else if (compression === 'gzip') {
      await pipeline(
        createReadStream(tarPath),
        createGzip({ level: opts.gzipLevel ?? 1 }),
        tap,
        createWriteStream(tmp),
        { signal: opts.signal },
      );
    } else {
      await pipeline(createReadStream(tarPath), tap, createWriteStream(tmp), { signal: opts.signal });
    }
    const hex = tap.hash.digest('hex');
    const path = join(this.dir, 'blobs', 'sha256', hex);
    await rename(tmp, path);
    return { path, digest: `sha256:${hex}`, size: tap.bytes };
  }

  async #storeImage(
    image: GrownImage,
    diffId: string,
    fixtureConfig: Record<string, unknown>,
  ): Promise<void> {
    const config = Buffer.from(
      JSON.stringify({ ...fixtureConfig, rootfs: { type: 'layers', diff_ids: [diffId] } }),
    );
    const configDesc = await this.#storeBytes(config, 'application/vnd.oci.image.config.v1+json');
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: configDesc,
        layers: [{ mediaType: image.layer.mediaType, digest: image.layer.digest, size: image.layer.size }],
      }),
    );
    const desc = await this.#storeBytes(manifest, 'application/vnd.oci.image.manifest.v1+json');
    this.#index.push({ ...desc, annotations: { 'org.opencontainers.image.ref.name': image.ref } });
    await this.#writeIndex();
  }

  readonly #index: {
    mediaType: string;
    digest: string;
    size: number;
    annotations: Record<string, string>;
  }[] = [];

  async #storeBytes(
    bytes: Buffer,
    mediaType: string,
  ): Promise<{ mediaType: string; digest: string; size: number }> {
    const hex = createHash('sha256').update(bytes).digest('hex');
    await writeFile(join(this.dir, 'blobs', 'sha256', hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  }

  async #writeIndex(): Promise<void> {
    await writeFile(
      join(this.dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: this.#index,
      }),
    );
  }

  /**
   * `image` as `guix pack -f docker` writes it: a gzipped docker-archive whose `<id>/layer.tar` is the
   * uncompressed layer (`image` must be a `none` one). Streamed; returns the archive's path.
   */
  async writeDockerArchive(image: GrownImage, signal: AbortSignal): Promise<string> {
    if (image.compression !== 'none') throw new Error('a docker-archive here holds the uncompressed layer');
    const fx = (this.#fixture ??= await readFixture(this.fixture));
    const id = image.layer.digest.slice('sha256:'.length);
    const config = Buffer.from(
      JSON.stringify({ ...fx.config, rootfs: { type: 'layers', diff_ids: [image.layer.digest] } }),
    );
    const path = join(this.root, `${image.ref}.docker-archive.tar.gz`);
    const pack = tar.pack();
    const written = pipeline(pack, createGzip({ level: 1 }), createWriteStream(path), { signal });
    await entry(
      pack,
      { name: 'manifest.json' },
      Buffer.from(
        JSON.stringify([{ Config: 'config.json', RepoTags: ['bench:latest'], Layers: [`${id}/layer.tar`] }]),
      ),
    );
    await entry(pack, { name: 'config.json' }, config);
    const { size } = await stat(image.layer.path);
    const sink = pack.entry({ name: `${id}/layer.tar`, size });
    await pipeline(createReadStream(image.layer.path), sink, { signal });
    pack.finalize();
    await written;
    return path;
  }

  /** Delete everything generated. */
  async remove(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

const HELP = `Usage: node --import tsx bench/generate-image.ts [OPTIONS...]

Grow a fixture of test/fixtures/guix-images into a big single-layer Guix image: filler store items are
added before, around or after its members, so that the profile manifest sits at the end, middle or
start of one layer. Writes an OCI layout (one image per compression) under a new directory of --tmp,
and prints the sources to give 'guix-recipes inspect'; nothing is deleted (remove the directory when
done). 'npm run bench' uses the same code (bench/README.md).

Options:
  --mib N                  uncompressed filler, MiB (default 64)
  --position WHERE         end (default), middle or start: where the profile manifest sits
  --compression LIST       gzip, zstd, none, comma-separated (default gzip; zstd needs the zstd program)
  --compressible X         share 0..1 of filler that compresses well (default 0.5)
  --fixture NAME           the single-layer fixture to grow (default seed-python-numpy)
  --docker-archive         also write the image as 'guix pack -f docker' does (adds none to --compression)
  --seed N                 same seed, same bytes (default 1)
  --tmp DIR                where the directory is made (default: the OS temp dir)
  -h, --help               show this help

Examples:
  node --import tsx bench/generate-image.ts --mib 256 --position start
  node --import tsx bench/generate-image.ts --mib 1024 --compression gzip,zstd --docker-archive
`;

function numberOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new Error(`--${name} must be a number from ${min} to ${max} (got '${text}')`);
  return n;
}

/** The command line: parse, grow, print the sources. Resolves to the exit status. */
export async function generateImageMain(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      mib: { type: 'string', default: '64' },
      position: { type: 'string', default: 'end' },
      compression: { type: 'string', default: 'gzip' },
      compressible: { type: 'string', default: '0.5' },
      fixture: { type: 'string', default: 'seed-python-numpy' },
      'docker-archive': { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      tmp: { type: 'string', default: tmpdir() },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    out(HELP);
    return 0;
  }
  const position = values.position as Position;
  if (!['start', 'middle', 'end'].includes(position))
    throw new Error(`--position must be start, middle or end (got '${values.position}')`);
  const compressions = [...new Set(values.compression.split(',').map((c) => c.trim()))] as Compression[];
  for (const c of compressions)
    if (!['gzip', 'zstd', 'none'].includes(c))
      throw new Error(`--compression takes gzip, zstd and none (got '${c}')`);
  if (values['docker-archive'] && !compressions.includes('none')) compressions.push('none');
  if (compressions.includes('zstd') && !(await haveZstdProgram()))
    throw new Error('--compression zstd needs the zstd program (apt-get install -y zstd)');
  const signal = new AbortController().signal;
  const layout = await BenchLayout.create(values.tmp, values.fixture);
  const images = await layout.grow({
    mib: numberOption('mib', values.mib, 1, 1024 * 1024),
    position,
    compressions,
    compressible: numberOption('compressible', values.compressible, 0, 1),
    seed: numberOption('seed', values.seed, 1, 2 ** 31),
    signal,
  });
  out(`generated in ${layout.root} (delete it when done)\n`);
  for (const image of images)
    out(`oci:${layout.dir}:${image.ref}  (${image.compression} layer of ${image.layer.size} bytes)\n`);
  if (values['docker-archive']) {
    const plain = images.find((i) => i.compression === 'none')!;
    out(`docker-archive:${await layout.writeDockerArchive(plain, signal)}\n`);
  }
  return 0;
}

// Run as a program (not imported by the benchmarks or tests).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = await generateImageMain(process.argv.slice(2), (s) => process.stdout.write(s));
  } catch (err) {
    process.stderr.write(`generate-image: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
