'use strict';
// procx(), pushx() and take() against a real redis-server ($PROCX_TEST_REDIS) with the redis-list driver,
// checked on the server with a small RESP client. redis-list moves a taken item into the worker's list
// KEY:processing:WORKER; a clear removes it there, a fail (or a caller's EOF) puts it back at the head of
// KEY (docs/redis.md).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const procx = require('procx-dotnet/procx');
const pushx = require('procx-dotnet/pushx');
const { redisSuite, uniqueKey, binaryPayload, waitFor, processGone } = require('./helpers');
const { lrange, keysStartingWith, deleteAll } = require('./resp');

/** Items of every KEY:processing:* list. */
async function processing(redis, key) {
  const lists = await keysStartingWith(redis, `${key}:processing:`);
  const items = [];
  for (const list of lists) items.push(...(await lrange(redis, list)));
  return items;
}

const asText = (items) => items.map((b) => b.toString('utf8'));

redisSuite('redis-list', (redis) => {
  const flags = (key) => ['-driver', 'redis-list', '-redis-host', redis.host, '-redis-port', redis.port, '-redis-key', key];
  const newKey = (t) => {
    const key = uniqueKey('procx-binding');
    t.after(() => deleteAll(redis, key));
    return key;
  };

  test('pushx appends to the list; procx takes from the head and the list is then empty', async (t) => {
    const key = newKey(t);
    await pushx('{"n":1}', flags(key));
    await pushx('{"n":2}', flags(key));
    assert.deepEqual(asText(await lrange(redis, key)), ['{"n":1}', '{"n":2}']);
    assert.equal(await procx(flags(key)), '{"n":1}');
    assert.equal(await procx(flags(key)), '{"n":2}');
    assert.deepEqual(await lrange(redis, key), []);
    assert.deepEqual(await processing(redis, key), []);
    assert.equal(await procx(flags(key)), '');
  });

  test('a binary value round-trips byte-exact through pushx and procx.buffer', async (t) => {
    const key = newKey(t);
    const bytes = binaryPayload();
    await pushx(bytes, flags(key));
    assert.ok((await lrange(redis, key))[0].equals(bytes));
    assert.ok((await procx.buffer(flags(key))).equals(bytes));
  });

  test('take: the item waits in the processing list; done() removes it', async (t) => {
    const key = newKey(t);
    await pushx('job-1', flags(key));
    const item = await procx.take(flags(key));
    assert.equal(item.text(), 'job-1');
    assert.deepEqual(await lrange(redis, key), []);
    assert.deepEqual(asText(await processing(redis, key)), ['job-1']);
    await item.done();
    assert.deepEqual(await lrange(redis, key), []);
    assert.deepEqual(await processing(redis, key), []);
  });

  test('take: fail() puts the item back at the head of the list', async (t) => {
    const key = newKey(t);
    await pushx('first', flags(key));
    await pushx('second', flags(key));
    const item = await procx.take(flags(key));
    assert.equal(item.text(), 'first');
    await item.fail();
    assert.deepEqual(asText(await lrange(redis, key)), ['first', 'second']);
    assert.deepEqual(await processing(redis, key), []);
  });

  test('take: null when the list is empty', async (t) => {
    const key = newKey(t);
    assert.equal(await procx.take(flags(key)), null);
  });

  test('take: a binary value is byte-exact', async (t) => {
    const key = newKey(t);
    const bytes = binaryPayload();
    await pushx(bytes, flags(key));
    const item = await procx.take(flags(key));
    assert.ok(item.payload.equals(bytes));
    await item.done();
    assert.deepEqual(await lrange(redis, key), []);
  });

  test('take: a caller killed by SIGKILL while it holds the item: the item is back in the list', async (t) => {
    const key = newKey(t);
    await pushx('precious', flags(key));
    const fixture = path.join(__dirname, 'fixtures', 'take-and-leave.js');
    const caller = await new Promise((resolve) => {
      execFile(process.execPath, [fixture, 'kill', JSON.stringify(flags(key))], (err, stdout, stderr) => {
        resolve({ signal: err ? err.signal : null, out: stdout, stderr });
      });
    });
    assert.equal(caller.signal, 'SIGKILL', caller.stderr);
    const { pid, payload } = JSON.parse(caller.out);
    assert.equal(Buffer.from(payload, 'base64').toString(), 'precious');
    // procx sees EOF on its stdin, fails the item (back to the head of KEY) and exits.
    await waitFor(() => processGone(pid), 'procx to fail the item of its dead caller');
    assert.deepEqual(asText(await lrange(redis, key)), ['precious']);
    assert.deepEqual(await processing(redis, key), []);
    assert.equal(await procx(flags(key)), 'precious');
  });
});
