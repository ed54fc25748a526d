'use strict';
// procx(args) and procx.buffer(args) against the real procx (PROCX_BIN) with the fs driver.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const procx = require('procx-dotnet/procx');
const { ProcxError } = require('procx-dotnet');
const { tempDir, fsSource, binaryPayload, restoreEnv } = require('./helpers');

test('procx resolves to the payload and clears the file (-fs-clear-op rm)', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job.json'), '{"id":1,"name":"Jöhn"}');
  const data = await procx(fsSource(dir, 'job.json'));
  assert.equal(data, '{"id":1,"name":"Jöhn"}');
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('procx resolves to an empty string when there is no work', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'other'), 'not this one');
  assert.equal(await procx(fsSource(dir, 'job.json')), '');
  assert.deepEqual(fs.readdirSync(dir), ['other']);
});

test('procx.buffer returns a binary payload byte-exact', async (t) => {
  const dir = tempDir(t);
  const bytes = binaryPayload();
  fs.writeFileSync(path.join(dir, 'job.bin'), bytes);
  const got = await procx.buffer(fsSource(dir, 'job.bin'));
  assert.ok(Buffer.isBuffer(got));
  assert.ok(got.equals(bytes), `got ${got.length} bytes, expected ${bytes.length}`);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('procx.buffer returns a 5 MiB payload whole', async (t) => {
  const dir = tempDir(t);
  const bytes = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 10)) & 0xff;
  fs.writeFileSync(path.join(dir, 'big'), bytes);
  const got = await procx.buffer(fsSource(dir, 'big'));
  assert.equal(got.length, bytes.length);
  assert.ok(got.equals(bytes));
});

test('a key with spaces and quotes reaches procx intact (no shell)', async (t) => {
  const dir = tempDir(t);
  const key = `it's a "quoted" $HOME file;|&.json`;
  fs.writeFileSync(path.join(dir, key), 'payload');
  assert.equal(await procx(fsSource(dir, key)), 'payload');
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('procx with a command runs it with the payload and resolves to its stdout, arguments intact', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job'), 'the work');
  const odd = `two  spaces, 'single' "double" \\ $PATH \`tick\` ;|& *`;
  const out = await procx([
    ...fsSource(dir, 'job'),
    process.execPath, '-e',
    'process.stdout.write(JSON.stringify({argv: process.argv.slice(1), payload: process.env.PROCX_PAYLOAD}))',
    odd, '',
  ]);
  assert.deepEqual(JSON.parse(out), { argv: [odd, ''], payload: 'the work' });
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('a failing child rejects with its exit code; the file stays', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job'), 'w');
  const err = await procx([...fsSource(dir, 'job'), process.execPath, '-e', 'process.exit(3)']).then(
    () => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof ProcxError);
  assert.ok(err instanceof Error);
  assert.equal(err.exitCode, 3);
  assert.match(err.stderr, /exit_code=3/);
  assert.deepEqual(fs.readdirSync(dir), ['job']);
});

test('a folder that does not exist rejects with exit code 78 and the error on stderr', async (t) => {
  const dir = tempDir(t);
  const missing = path.join(dir, 'nowhere');
  const err = await procx(fsSource(missing, 'job')).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof ProcxError);
  assert.equal(err.exitCode, 78);
  assert.equal(err.signal, null);
  assert.match(err.stderr, /procx: error: .*does not exist.*-fs-folder/);
  assert.match(err.message, /^procx exited with code 78: procx: error: /);
});

test('an unknown flag rejects with exit code 64', async (t) => {
  const dir = tempDir(t);
  const err = await procx([...fsSource(dir, 'job'), '-no-such-flag']).then(() => assert.fail('resolved'), (e) => e);
  assert.equal(err.exitCode, 64);
  assert.match(err.stderr, /unknown flag -no-such-flag/);
});

test('args that are not an array of strings reject with a TypeError before anything runs', async () => {
  await assert.rejects(procx('-driver fs'), TypeError);
  await assert.rejects(procx(['-redis-port', 6379]), /args\[1\] must be a string/);
  await assert.rejects(procx.buffer(undefined), TypeError);
});

test('PROCX_BIN names the executable; one that does not exist rejects with ENOENT', async (t) => {
  t.after(restoreEnv('PROCX_BIN'));
  process.env.PROCX_BIN = path.join(tempDir(t), 'no-procx');
  const err = await procx(['-driver', 'fs']).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof ProcxError);
  assert.equal(err.code, 'ENOENT');
  assert.equal(err.exitCode, null);
  assert.equal(err.tool, process.env.PROCX_BIN);
});

test('without PROCX_BIN, procx is looked up in PATH', async (t) => {
  const bin = process.env.PROCX_BIN;
  if (!bin) {
    t.skip('PROCX_BIN is unset: every other test already finds procx in PATH');
    return;
  }
  t.after(restoreEnv('PROCX_BIN', 'PATH'));
  const binDir = tempDir(t);
  fs.symlinkSync(path.resolve(bin), path.join(binDir, 'procx'));
  const work = tempDir(t);
  fs.writeFileSync(path.join(work, 'job'), 'from PATH');
  delete process.env.PROCX_BIN;
  process.env.PATH = `${binDir}${path.delimiter}${process.env.PATH}`;
  assert.equal(await procx(fsSource(work, 'job')), 'from PATH');
});

test('the entry points load from ESM too: default imports and named exports', async () => {
  const procxModule = await import('procx-dotnet/procx');
  const pushxModule = await import('procx-dotnet/pushx');
  const main = await import('procx-dotnet');
  assert.equal(procxModule.default, procx);
  assert.equal(typeof pushxModule.default, 'function');
  assert.equal(main.procx, procx);
  assert.equal(main.take, procx.take);
  assert.equal(main.ProcxError, ProcxError);
  assert.equal(typeof main.pushx.buffer, 'function');
});
