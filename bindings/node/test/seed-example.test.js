'use strict';
// The seed's example, as written but for the package names and the flags that point it at the servers
// here: procx takes example.json (the seed read it from S3; here an fs folder, cleared with rm), and pushx
// sends JSON.stringify(obj) on: to an fs folder, and to redis-list, where the list is checked on the server.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { tempDir, redisSuite, uniqueKey } = require('./helpers');
const { lrange, deleteAll } = require('./resp');

const example = { name: 'John Doe', age: 30, address: '123 Main St', tags: ['a', 'b'] };

test('the seed example: procx from an fs folder, pushx to an fs folder', async (t) => {
  const inbox = tempDir(t);
  const outbox = tempDir(t);
  fs.writeFileSync(path.join(inbox, 'example.json'), JSON.stringify(example));

  const procx = require('procx-dotnet/procx');
  const pushx = require('procx-dotnet/pushx');
  let data = await procx(["-driver", "fs", "-fs-folder", inbox, "-fs-key", "example.json", "-fs-clear-op", "rm"]);
  let obj = JSON.parse(data);
  await pushx(JSON.stringify(obj), ["-driver", "fs", "-fs-folder", outbox, "-fs-key", "example.json"]);

  assert.deepEqual(fs.readdirSync(inbox), []);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(outbox, 'example.json'), 'utf8')), example);
});

redisSuite('the seed example with redis-list', (redis) => {
  test('procx from an fs folder, pushx to redis-list: the list holds JSON.stringify(obj)', async (t) => {
    const inbox = tempDir(t);
    fs.writeFileSync(path.join(inbox, 'example.json'), JSON.stringify(example));
    // The seed's key is test-redis-list; a suffix keeps parallel runs (other bindings' tests) apart.
    const key = uniqueKey('test-redis-list');
    t.after(() => deleteAll(redis, key));

    const procx = require('procx-dotnet/procx');
    const pushx = require('procx-dotnet/pushx');
    let data = await procx(["-driver", "fs", "-fs-folder", inbox, "-fs-key", "example.json", "-fs-clear-op", "rm"]);
    let obj = JSON.parse(data);
    await pushx(JSON.stringify(obj), ["-driver", "redis-list", "-redis-host", redis.host, "-redis-port", redis.port, "-redis-key", key]);

    assert.deepEqual(fs.readdirSync(inbox), []);
    const list = await lrange(redis, key);
    assert.equal(list.length, 1);
    assert.equal(list[0].toString('utf8'), JSON.stringify(example));
  });
});
