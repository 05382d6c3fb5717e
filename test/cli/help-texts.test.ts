/**
 * Every command answers `--help` (and `help COMMAND`) with its usage, its options (`--quiet` and
 * `--help` among them) and examples that run the command itself; the commands that print results
 * offer `--output json`; the long-running ones take `--quiet` and nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allCommands } from '../../services/cli/commands/index.js';
import { cli } from './capture.js';

const COMMANDS = await allCommands();

void test('every command: usage, --quiet, --help and examples of itself', async () => {
  assert.ok(COMMANDS.length >= 5);
  for (const c of COMMANDS) {
    const r = await cli([c.name, '--help']);
    assert.equal(r.code, 0, c.name);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.startsWith(`Usage: guix-recipes ${c.name}`), `${c.name}: ${r.stdout.slice(0, 80)}`);
    assert.match(r.stdout, /^\s+-q, --quiet\s+\S/m, `${c.name} documents --quiet`);
    assert.match(r.stdout, /^\s+-h, --help\s+show this help$/m, c.name);
    const examples = r.stdout.slice(r.stdout.indexOf('\nExamples:\n'));
    assert.ok(r.stdout.includes('\nExamples:\n'), `${c.name} has examples`);
    assert.match(examples, new RegExp(`guix-recipes ${c.name}\\b`), `${c.name}'s examples run it`);
    assert.equal((await cli(['help', c.name])).stdout, r.stdout, 'help COMMAND is the same text');
    assert.equal((await cli([c.name, '-h'])).stdout, r.stdout);
  }
});

void test('the commands that print results offer --output json', async () => {
  for (const name of ['inspect', 'gate']) {
    const r = await cli([name, '--help']);
    assert.match(r.stdout, /-o, --output WHAT/);
    assert.match(r.stdout, /\bjson\b/);
  }
});

void test('serve, worker and start take --quiet and refuse anything else with a usage error', async () => {
  for (const name of ['serve', 'worker', 'start']) {
    const r = await cli([name, '--port', '9000']);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^guix-recipes: ${name} takes no arguments but --quiet`));
    assert.match(r.stderr, /configure it with environment variables/);
  }
});

void test('the main help lists every command, and --version answers', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0);
  for (const c of COMMANDS)
    assert.match(
      r.stdout,
      new RegExp(`^  ${c.name}\\s+${c.summary.slice(0, 20).replace(/[()]/g, '.')}`, 'm'),
    );
  assert.match((await cli(['--version'])).stdout, /^guix-recipes \d+\.\d+\.\d+\n$/);
});
