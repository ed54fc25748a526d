'use strict';
// pushx(input, args) and pushx.buffer against the real pushx (PUSHX_BIN) with the fs sink.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const pushx = require('procx-dotnet/pushx');
const { ProcxError } = require('procx-dotnet');
const { tempDir, fsSink, binaryPayload, restoreEnv } = require('./helpers');

test('pushx writes a string input to the sink and resolves to an empty stdout', async (t) => {
  const dir = tempDir(t);
  const out = await pushx('{"name":"Jöhn"}', fsSink(dir, 'out.json'));
  assert.equal(out, '');
  assert.equal(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'), '{"name":"Jöhn"}');
});

test('pushx with -out=- resolves to the input again', async (t) => {
  const dir = tempDir(t);
  assert.equal(await pushx('tee me\n', [...fsSink(dir, 'a'), '-out=-']), 'tee me\n');
  assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), 'tee me\n');
});

test('a Buffer input is pushed byte-exact and pushx.buffer returns it byte-exact with -out=-', async (t) => {
  const dir = tempDir(t);
  const bytes = binaryPayload();
  const out = await pushx.buffer(bytes, [...fsSink(dir, 'bin'), '-out=-']);
  assert.ok(Buffer.isBuffer(out));
  assert.ok(out.equals(bytes));
  assert.ok(fs.readFileSync(path.join(dir, 'bin')).equals(bytes));
});

test('an 8 MiB input streams through stdin whole', async (t) => {
  const dir = tempDir(t);
  const bytes = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 13 + (i >> 12)) & 0xff;
  const out = await pushx.buffer(bytes, [...fsSink(dir, 'big'), '-out=-']);
  assert.equal(out.length, bytes.length);
  assert.ok(out.equals(bytes));
  assert.ok(fs.readFileSync(path.join(dir, 'big')).equals(bytes));
});

test('a key template with spaces and quotes arrives intact', async (t) => {
  const dir = tempDir(t);
  await pushx('{"id":"7"}', fsSink(dir, `it's "job" {{id}} $HOME.json`));
  assert.deepEqual(fs.readdirSync(dir), [`it's "job" 7 $HOME.json`]);
});

test('input the key template cannot render rejects with exit code 65 and nothing pushed', async (t) => {
  const dir = tempDir(t);
  const err = await pushx('{"name":"x"}', fsSink(dir, '{{id}}.json')).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof ProcxError);
  assert.equal(err.exitCode, 65);
  assert.match(err.stderr, /-fs-key .*has no field 'id'/);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('an unknown flag rejects with exit code 64, whatever the input size', async (t) => {
  const dir = tempDir(t);
  // pushx stops before it reads stdin: the binding must not report the broken pipe instead.
  const err = await pushx(Buffer.alloc(4 * 1024 * 1024), [...fsSink(dir, 'x'), '-bogus']).then(
    () => assert.fail('resolved'), (e) => e);
  assert.equal(err.exitCode, 64);
  assert.match(err.stderr, /unknown flag -bogus/);
});

test('input that is neither a string nor a Buffer rejects with a TypeError', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(pushx({ a: 1 }, fsSink(dir, 'x')), /input must be a string or a Buffer/);
  await assert.rejects(pushx('x', '-driver fs'), TypeError);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('PUSHX_BIN names the executable; one that does not exist rejects with ENOENT', async (t) => {
  t.after(restoreEnv('PUSHX_BIN'));
  process.env.PUSHX_BIN = path.join(tempDir(t), 'no-pushx');
  const err = await pushx('x', ['-driver', 'fs']).then(() => assert.fail('resolved'), (e) => e);
  assert.equal(err.code, 'ENOENT');
  assert.equal(err.exitCode, null);
});
