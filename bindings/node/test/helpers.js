'use strict';
// Shared by the tests: temp folders, polling with a deadline, whether a process is gone, and the Redis
// target from PROCX_TEST_REDIS (skipped with a reason when unset, a failure with PROCX_TEST_REQUIRE_SERVICES=1).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');

// The test settings are read once, here, and the PROCX_TEST_* variables removed from the environment the
// executables inherit: procx warns about every PROCX_* variable that is not one of its settings.
const settings = {
  redis: process.env.PROCX_TEST_REDIS,
  requireServices: process.env.PROCX_TEST_REQUIRE_SERVICES === '1',
};
for (const name of Object.keys(process.env)) {
  if (name.startsWith('PROCX_TEST_')) delete process.env[name];
}

/**
 * A new empty folder, removed after the test.
 * @param {import('node:test').TestContext} t
 */
function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procx-node-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** procx's fs source flags for one file that is removed on clear. */
function fsSource(dir, key) {
  return ['-driver', 'fs', '-fs-folder', dir, '-fs-key', key, '-fs-clear-op', 'rm'];
}

/** pushx's fs sink flags. */
function fsSink(dir, key) {
  return ['-driver', 'fs', '-fs-folder', dir, '-fs-key', key];
}

/**
 * Polls `condition` until it returns a truthy value, which it returns; fails the test after `timeoutMs`.
 * @template T
 * @param {() => T | Promise<T>} condition
 * @param {string} what what is awaited, for the failure message
 * @param {number} [timeoutMs]
 * @returns {Promise<T>}
 */
async function waitFor(condition, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True when the process has exited (gone, or a zombie nobody has reaped yet). */
function processGone(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Every byte value, then bytes that are not UTF-8, a NUL and line ends: a payload text would mangle. */
function binaryPayload() {
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  return Buffer.concat([all, Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a, 0x0d, 0x0a]), all]);
}

/**
 * The Redis server for the redis tests, from PROCX_TEST_REDIS (host:port). Defines `fn` as a suite when
 * it is set; otherwise skips the suite, saying why, or fails when PROCX_TEST_REQUIRE_SERVICES=1.
 * @param {string} name
 * @param {(redis: {host: string, port: string}) => void} fn
 */
function redisSuite(name, fn) {
  const address = settings.redis;
  if (!address) {
    const reason = 'PROCX_TEST_REDIS is not set (host:port of a redis-server)';
    if (settings.requireServices) {
      test(`${name}: redis-server required`, () => assert.fail(`${reason}, and PROCX_TEST_REQUIRE_SERVICES=1`));
    } else {
      process.stderr.write(`skipping ${name}: ${reason}\n`);
      describe(name, { skip: reason }, () => {});
    }
    return;
  }
  const colon = address.lastIndexOf(':');
  assert.ok(colon > 0, `PROCX_TEST_REDIS must be host:port, got ${address}`);
  describe(name, () => fn({ host: address.slice(0, colon), port: address.slice(colon + 1) }));
}

/**
 * Remembers the env vars and returns a function that puts them back (deleting those that were unset).
 * @param {...string} names
 */
function restoreEnv(...names) {
  const saved = names.map((n) => [n, process.env[n]]);
  return () => {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  };
}

/** A Redis key no other run (nor another binding's tests on the same server) uses. */
function uniqueKey(prefix) {
  return `${prefix}-node-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
}

module.exports = { tempDir, fsSource, fsSink, waitFor, processGone, binaryPayload, redisSuite, uniqueKey, restoreEnv };
