'use strict';
// procx-dotnet from Node.js, on the fs driver in a temp folder (no server needed):
//   1. the seed's shape: procx takes example.json, the program changes it, pushx sends it on;
//   2. at least once: take() each job, done() when it was handled, fail() when not (moved to failed/).
// Run: npm install && node example.js   (PROCX_BIN / PUSHX_BIN name the executables; else PATH)

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const procx = require('procx-dotnet/procx');
const pushx = require('procx-dotnet/pushx');

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'procx-node-sample-'));
  const [inbox, outbox, failed] = ['inbox', 'outbox', 'failed'].map((name) => path.join(root, name));
  for (const dir of [inbox, outbox, failed]) fs.mkdirSync(dir);
  try {
    // A producer drops a job into the inbox.
    await pushx(JSON.stringify({ name: 'John Doe', age: 30 }), ['-driver', 'fs', '-fs-folder', inbox, '-fs-key', 'example.json']);

    // 1. The seed's example, on folders instead of S3 and Redis.
    let data = await procx(['-driver', 'fs', '-fs-folder', inbox, '-fs-key', 'example.json', '-fs-clear-op', 'rm']);
    let obj = JSON.parse(data);
    obj.greeting = `Hello, ${obj.name}`;
    await pushx(JSON.stringify(obj), ['-driver', 'fs', '-fs-folder', outbox, '-fs-key', 'example.json']);
    console.log(`seed: ${fs.readFileSync(path.join(outbox, 'example.json'), 'utf8')}`);

    // 2. At least once: the job stays in the inbox until done(); fail() (or a crash) never loses it.
    for (const [key, body] of [['job-1.json', '{"n":1}'], ['job-2.json', 'not json'], ['job-3.json', '{"n":3}']]) {
      await pushx(body, ['-driver', 'fs', '-fs-folder', inbox, '-fs-key', key]);
    }
    const source = ['-driver', 'fs', '-fs-folder', inbox, '-fs-key-prefix', 'job-', '-fs-clear-op', 'rm',
      '-fs-fail-op', 'mv', '-fs-fail-folder', failed];
    let handled = 0;
    for (let item; (item = await procx.take(source)) !== null;) {
      let result;
      try {
        result = { n: JSON.parse(item.text()).n * 10 };
      } catch (err) {
        console.log(`take: failing ${JSON.stringify(item.text())}: ${err.message}`);
        await item.fail();
        continue;
      }
      await pushx(JSON.stringify(result), ['-driver', 'fs', '-fs-folder', outbox, '-fs-key', `result-${result.n}.json`]);
      await item.done();
      handled++;
    }
    const left = fs.readdirSync(inbox);
    const results = fs.readdirSync(outbox).sort();
    const setAside = fs.readdirSync(failed);
    console.log(`take: ${handled} done, ${setAside.length} failed (${setAside.join(', ')}), ${left.length} left in the inbox`);
    console.log(`outbox: ${results.join(', ')}`);
    if (handled !== 2 || setAside.length !== 1 || left.length !== 0 || results.length !== 3) {
      throw new Error('the sample did not end as expected');
    }
    console.log('sample ok');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err.stack || err);
  if (err.stderr) console.error(err.stderr);
  process.exitCode = 1;
});
