// @ts-check
'use strict';
// require('procx-dotnet/pushx'): pushx(input, args) runs pushx with `input` on its stdin.

const { run, checkArgs } = require('./lib/run');

/**
 * @param {unknown} input
 * @returns {string | Buffer | Uint8Array}
 */
function checkInput(input) {
  if (typeof input === 'string' || input instanceof Uint8Array) return input;
  throw new TypeError(`input must be a string or a Buffer, got ${input === null ? 'null' : typeof input}`);
}

/**
 * Runs pushx with `args` (never through a shell), `input` on its stdin (a string as UTF-8, a Buffer
 * byte-exact), and resolves to pushx's stdout as UTF-8 text (the input again with `-out=-`, else '').
 * Rejects with a ProcxError (`.exitCode`, `.stderr`) when pushx exits non-zero.
 * @param {string | Buffer | Uint8Array} input
 * @param {readonly string[]} args
 * @returns {Promise<string>}
 */
async function pushx(input, args) {
  return (await run('pushx', checkArgs(args), checkInput(input))).toString('utf8');
}

/**
 * As pushx(), resolving to the bytes of stdout (with `-out=-`, the input byte-exact).
 * @param {string | Buffer | Uint8Array} input
 * @param {readonly string[]} args
 * @returns {Promise<Buffer>}
 */
pushx.buffer = async function buffer(input, args) {
  return run('pushx', checkArgs(args), checkInput(input));
};

module.exports = pushx;
