'use strict';
// procx.take(args) over `procx -hold`, against the real procx (PROCX_BIN) with the fs driver: done() clears,
// fail() keeps the item, a caller that dies or ends without a verdict leaves it in the folder.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { execFile } = require('node:child_process');
const procx = require('procx-dotnet/procx');
const { ProcxError, HeldItem } = require('procx-dotnet');
const { tempDir, fsSource, waitFor, processGone, binaryPayload } = require('./helpers');

const fixture = path.join(__dirname, 'fixtures', 'take-and-leave.js');

/** Runs the fixture caller to its end: {code, signal, out}. */
function runCaller(how, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [fixture, how, JSON.stringify(args)], (err, stdout, stderr) => {
      resolve({ code: err ? err.code ?? null : 0, signal: err ? err.signal : null, out: stdout, stderr });
    });
  });
}

test('take returns the held item; the file stays until done(), which clears it', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job.json'), '{"id":1,"name":"Jöhn"}');
  const item = await procx.take(fsSource(dir, 'job.json'));
  assert.ok(item instanceof HeldItem);
  assert.ok(Buffer.isBuffer(item.payload));
  assert.equal(item.text(), '{"id":1,"name":"Jöhn"}');
  assert.deepEqual(fs.readdirSync(dir), ['job.json']);
  await item.done();
  assert.deepEqual(fs.readdirSync(dir), []);
  assert.ok(processGone(item.pid));
});

test('fail() fails the item: procx exits 1 and the file stays', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job'), 'work');
  const item = await procx.take(fsSource(dir, 'job'));
  assert.equal(item.text(), 'work');
  await item.fail();
  assert.deepEqual(fs.readdirSync(dir), ['job']);
  // and it can be taken again
  const again = await procx.take(fsSource(dir, 'job'));
  assert.equal(again.text(), 'work');
  await again.done();
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('fail() with a fail op moves the file aside', async (t) => {
  const dir = tempDir(t);
  const failed = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job'), 'work');
  const item = await procx.take([...fsSource(dir, 'job'), '-fs-fail-op', 'mv', '-fs-fail-folder', failed]);
  await item.fail();
  assert.deepEqual(fs.readdirSync(dir), []);
  assert.deepEqual(fs.readdirSync(failed), ['job']);
});

test('take resolves to null when there is no work', async (t) => {
  const dir = tempDir(t);
  assert.equal(await procx.take(fsSource(dir, 'job')), null);
});

test('a binary payload is byte-exact, and a 5 MiB one whole', async (t) => {
  const dir = tempDir(t);
  const bytes = binaryPayload();
  fs.writeFileSync(path.join(dir, 'bin'), bytes);
  const item = await procx.take(fsSource(dir, 'bin'));
  assert.ok(item.payload.equals(bytes));
  await item.done();

  const big = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 0xff;
  big.write('item\nnone\n', 0); // a payload that starts like a header is still payload
  fs.writeFileSync(path.join(dir, 'big'), big);
  const bigItem = await procx.take(fsSource(dir, 'big'));
  assert.equal(bigItem.payload.length, big.length);
  assert.ok(bigItem.payload.equals(big));
  await bigItem.done();
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('an empty payload is an item, not "no work"', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'empty'), '');
  const item = await procx.take(fsSource(dir, 'empty'));
  assert.notEqual(item, null);
  assert.equal(item.payload.length, 0);
  await item.done();
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('a second verdict rejects and changes nothing', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job'), 'w');
  const item = await procx.take(fsSource(dir, 'job'));
  await item.done();
  await assert.rejects(item.fail(), /already settled with done\(\)/);
  await assert.rejects(item.done(), /already settled with done\(\)/);
});

test('errors before an item reject with procx\'s exit code: 78 bad setting, 64 bad flag or a command', async (t) => {
  const dir = tempDir(t);
  const missing = await procx.take(fsSource(path.join(dir, 'nowhere'), 'job')).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(missing instanceof ProcxError);
  assert.equal(missing.exitCode, 78);
  assert.match(missing.stderr, /does not exist.*-fs-folder/);

  const flag = await procx.take([...fsSource(dir, 'job'), '-bogus']).then(() => assert.fail('resolved'), (e) => e);
  assert.equal(flag.exitCode, 64);
  assert.match(flag.stderr, /unknown flag -bogus/);

  fs.writeFileSync(path.join(dir, 'job'), 'w');
  const command = await procx.take([...fsSource(dir, 'job'), 'cat']).then(() => assert.fail('resolved'), (e) => e);
  assert.equal(command.exitCode, 64);
  assert.match(command.stderr, /-hold/);
  assert.deepEqual(fs.readdirSync(dir), ['job']);
});

test('an unreachable source rejects with exit code 69', async () => {
  const port = await new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const p = server.address().port;
      server.close(() => resolve(p));
    });
  });
  const err = await procx.take(['-driver', 'redis-list', '-redis-host', '127.0.0.1', '-redis-port', String(port),
    '-redis-key', 'k']).then(() => assert.fail('resolved'), (e) => e);
  assert.equal(err.exitCode, 69);
  assert.match(err.stderr, /cannot reach redis/);
});

test('-timeout: no verdict in time fails the item (exit 124), and done() then rejects with 124', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job'), 'w');
  const item = await procx.take(['-timeout', '1s', ...fsSource(dir, 'job')]);
  await waitFor(() => processGone(item.pid), 'procx to give up after -timeout 1s');
  const err = await item.done().then(() => assert.fail('resolved'), (e) => e);
  assert.ok(err instanceof ProcxError);
  assert.equal(err.exitCode, 124);
  assert.deepEqual(fs.readdirSync(dir), ['job']);
});

test('a caller killed by SIGKILL while it holds the item leaves it in the folder', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job'), 'precious');
  const caller = await runCaller('kill', fsSource(dir, 'job'));
  assert.equal(caller.signal, 'SIGKILL', caller.stderr);
  const { pid, payload } = JSON.parse(caller.out);
  assert.equal(Buffer.from(payload, 'base64').toString(), 'precious');
  await waitFor(() => processGone(pid), 'procx to fail the item of its dead caller');
  assert.deepEqual(fs.readdirSync(dir), ['job']);
  const again = await procx.take(fsSource(dir, 'job'));
  assert.equal(again.text(), 'precious');
  await again.done();
});

test('an unsettled item does not keep the program alive; ending without a verdict fails it', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job'), 'w');
  const caller = await runCaller('return', fsSource(dir, 'job'));
  assert.equal(caller.code, 0, caller.stderr);
  const { pid } = JSON.parse(caller.out);
  await waitFor(() => processGone(pid), 'procx to fail the item of a caller that ended');
  assert.deepEqual(fs.readdirSync(dir), ['job']);
});

test('a warning procx logs before the item does not hold back the end of the payload', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'job'), 'w');
  // -redis-key does not apply to fs: procx warns, then hands the item over. -timeout bounds the hang.
  const taken = procx.take(['-timeout', '3s', ...fsSource(dir, 'job'), '-redis-key', 'unused']);
  const started = Date.now();
  const item = await taken;
  assert.ok(Date.now() - started < 2000, `take() resolved after ${Date.now() - started} ms`);
  await item.done();
  assert.deepEqual(fs.readdirSync(dir), []);
});
