// Every SIF and squashfs file of test/fixtures/apptainer through `inspect sif:` / `inspect squashfs:`:
// channels byte for byte as Guix exported them, manifest.scm as for the Docker pack of the same
// profile, and the artifact facts as Sylabs' siftool reports them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../cli/capture.js';

const DIR = 'test/fixtures/apptainer/seed-python-numpy';
const DOCKER = 'test/fixtures/guix-images/seed-python-numpy';

interface Facts {
  file: string;
  compression: 'gzip' | 'xz' | 'zstd';
  profile: string;
  entryPoint: string | null;
  sifHeader?: Record<string, string | number>;
  sifDescriptors?: Record<string, string | number>[];
}
const facts = JSON.parse(readFileSync(join(DIR, 'facts.json'), 'utf8')) as Facts[];

/** Expected outputs (file in the Docker fixture folder, arguments). */
const MANIFEST_OUTPUTS: [string, string[]][] = [
  ['export-manifest.scm', ['--output', 'manifest', '--manifest-style', 'guix']],
  ['manifest-pinned.scm', ['--output', 'manifest']],
  [
    'export-manifest.guile310.scm',
    ['--output', 'manifest', '--manifest-style', 'guix', '--printer', 'modern'],
  ],
  ['manifest-pinned.guile310.scm', ['--output', 'manifest', '--printer', 'modern']],
];

void test('every SIF and squashfs file is listed in facts.json', () => {
  assert.equal(facts.length, 7);
  assert.equal(facts.filter((f) => f.file.startsWith('sif/')).length, 4);
  assert.equal(facts.filter((f) => f.file.startsWith('squashfs/')).length, 3);
});

for (const f of facts) {
  const path = join(DIR, f.file);
  const source = `${f.file.startsWith('sif/') ? 'sif' : 'squashfs'}:${path}`;
  void describe(source, () => {
    void test('--output channels = expected-channels.scm, byte for byte', async () => {
      const r = await cli(['inspect', source, '--output', 'channels']);
      assert.equal(r.stderr, '');
      assert.equal(r.code, 0);
      assert.equal(r.stdout, readFileSync(join(DIR, 'expected-channels.scm'), 'utf8'));
    });

    for (const [file, args] of MANIFEST_OUTPUTS) {
      void test(`${args.join(' ')} = the Docker fixture's ${file}`, async () => {
        const r = await cli(['inspect', source, ...args]);
        assert.equal(r.stderr, '');
        assert.equal(r.code, 0);
        assert.equal(r.stdout, readFileSync(join(DOCKER, file), 'utf8'));
      });
    }

    void test('--output json: the recipe, the artifact facts and the rebuild command', async () => {
      const r = await cli(['inspect', source, '--output', 'json']);
      assert.equal(r.stderr, '');
      assert.equal(r.code, 0);
      const j = JSON.parse(r.stdout);
      assert.equal(j.source, source);
      assert.equal(j.recipe.kind, 'profile');
      assert.equal(j.recipe.profile, f.profile);
      assert.equal(j.artifact.pack.profile, f.profile);
      assert.equal(j.artifact.pack.foundBy, 'bin-symlink');
      assert.deepEqual(
        j.artifact.pack.clues.map((c: { clue: string; profile: string }) => [c.clue, c.profile]),
        [
          ['bin-symlink', f.profile],
          ['environment-script', f.profile],
        ],
      );
      assert.equal(j.artifact.pack.entryPoint, f.entryPoint);
      assert.deepEqual(j.artifact.pack.symlinks, [{ source: '/bin', target: 'bin' }]);
      assert.equal(j.artifact.pack.localstatedir, false);
      assert.equal(j.artifact.squashfs.compression, f.compression);
      assert.equal(j.artifact.squashfs.blockSize, 131072);
      assert.equal(j.artifact.squashfs.inodeCount, 49);
      assert.equal(j.artifact.squashfs.modificationTime, 1);
      assert.ok(j.artifact.squashfs.flags.includes('no-xattrs'));
      assert.ok(!j.artifact.squashfs.flags.includes('duplicates-removed'));
      assert.equal(j.artifact.size, statSync(path).size);
      assert.ok(
        j.bytesRead > 0 && j.bytesRead < j.artifact.size,
        `read ${j.bytesRead} of ${j.artifact.size}`,
      );
      const compress = f.compression === 'gzip' ? '' : ` -C ${f.compression}`;
      assert.equal(
        j.rebuild.text,
        `guix time-machine -C channels.scm -- pack -f squashfs${compress} -S /bin=bin --save-provenance -m manifest.scm`,
      );
      assert.equal(j.rebuild.command.join(' '), j.rebuild.text);
      assert.ok(j.rebuild.unknown.some((u: { option: string }) => u.option === '--system'));
      // The recipe is the one of the same profile read from its manifest file.
      const p = await cli(['inspect', `profile:${DOCKER}/profile-manifest`, '--output', 'json']);
      const fromProfile = JSON.parse(p.stdout);
      assert.deepEqual({ ...j.recipe, profile: null }, { ...fromProfile, profile: null });

      if (f.sifHeader === undefined) {
        assert.equal(j.artifact.format, 'squashfs');
        assert.equal(j.artifact.sif, undefined);
        return;
      }
      assert.equal(j.artifact.format, 'sif');
      const h = j.artifact.sif.header;
      const e = f.sifHeader;
      assert.deepEqual(
        [
          h.launchScript,
          h.version,
          h.arch,
          h.uuid,
          h.createdAt,
          h.modifiedAt,
          h.descriptorsFree,
          h.descriptorsTotal,
          h.descriptorsOffset,
          h.descriptorsSize,
          h.dataOffset,
          h.dataSize,
        ],
        [
          e.launch_script,
          e.version,
          e.arch,
          e.id,
          e.created_at,
          e.modified_at,
          e.descriptors_free,
          e.descriptors_total,
          e.descriptors_offset,
          e.descriptors_size,
          e.data_offset,
          e.data_size,
        ],
      );
      assert.equal(j.artifact.sif.descriptors.length, f.sifDescriptors!.length);
      j.artifact.sif.descriptors.forEach((d: Record<string, unknown>, i: number) => {
        const x = f.sifDescriptors![i]!;
        assert.equal(d.id, x.id);
        assert.equal(d.dataType, x.data_type);
        assert.equal(d.dataTypeName, x.data_type_name);
        assert.equal(d.groupId, x.group_id, `group of ${String(x.group_raw)} masked`);
        assert.equal(d.link, null);
        assert.equal(d.offset, x.offset);
        assert.equal(d.size, x.size);
        assert.equal(d.sizeWithPadding, x.size_with_padding);
        assert.equal(d.createdAt, x.created_at);
        assert.equal(d.name, x.name);
        if (x.fstype_raw !== undefined) {
          const part = d.partition as Record<string, unknown>;
          assert.equal(part.fsType, x.fstype_raw);
          assert.equal(part.partType, x.parttype_raw);
          assert.equal(j.artifact.sif.partition.id, x.id);
          assert.equal(j.artifact.sif.partition.offset, x.offset);
        }
      });
    });

    void test('summary: the artifact, the rebuild command, the recipe', async () => {
      const r = await cli(['inspect', source]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^image {6}(sif|squashfs):/);
      assert.match(r.stdout, new RegExp(`^squashfs {3}${f.compression}, 131072-byte blocks, 49 inodes`, 'm'));
      assert.match(r.stdout, /^rebuild {4}guix time-machine -C channels\.scm -- pack -f squashfs/m);
      assert.match(r.stdout, new RegExp(`^profile {4}${f.profile}$`, 'm'));
      assert.match(r.stdout, /^packages {3}python@3\.8\.2$/m);
    });
  });
}
