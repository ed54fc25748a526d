'use strict';
// A minimal Redis client for the tests (RESP2 over node:net), so that what procx and pushx did is checked
// on the server itself rather than through the tools under test. One connection per command.

const net = require('node:net');

/**
 * Parses one reply at `at`: [value, next offset], or null when `buf` does not hold all of it yet. Bulk
 * strings come back as Buffers, errors as Error values.
 * @param {Buffer} buf
 * @param {number} at
 * @returns {[any, number] | null}
 */
function parse(buf, at) {
  const end = buf.indexOf('\r\n', at);
  if (end < 0) return null;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, end);
  const next = end + 2;
  switch (type) {
    case '+': return [line, next];
    case '-': return [new Error(line), next];
    case ':': return [Number(line), next];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.subarray(next, next + n), next + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const items = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, pos);
        if (r === null) return null;
        items.push(r[0]);
        pos = r[1];
      }
      return [items, pos];
    }
    default: throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}

/**
 * Sends one command and resolves to its reply; rejects on an error reply.
 * @param {{host: string, port: string}} redis
 * @param {...(string | Buffer)} args
 */
function command(redis, ...args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(redis.port), redis.host);
    let buf = Buffer.alloc(0);
    socket.on('connect', () => socket.write(Buffer.concat(parts)));
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parse(buf, 0);
      if (r === null) return;
      socket.end();
      if (r[0] instanceof Error) reject(r[0]);
      else resolve(r[0]);
    });
    socket.on('error', reject);
  });
}

/** The list's items as Buffers. */
async function lrange(redis, key) {
  return command(redis, 'LRANGE', key, '0', '-1');
}

/** Every key that starts with `prefix`. */
async function keysStartingWith(redis, prefix) {
  const glob = prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  const keys = await command(redis, 'KEYS', `${glob}*`);
  return keys.map((k) => k.toString('utf8')).sort();
}

/** Deletes the key and every key derived from it (KEY:processing:*, KEY:heartbeat:*, KEY:workers, …). */
async function deleteAll(redis, key) {
  const keys = await keysStartingWith(redis, key);
  if (keys.length > 0) await command(redis, 'DEL', ...keys);
}

module.exports = { command, lrange, keysStartingWith, deleteAll };
