// @ts-check
'use strict';
// require('procx-dotnet/procx'): procx(args) runs procx and resolves to what it printed, which is the
// payload when args name no command (procx then clears the work once it is written).

const { run, checkArgs } = require('./lib/run');
const { take } = require('./lib/hold');

/**
 * Runs procx with `args` (never through a shell) and resolves to its stdout as UTF-8 text: with no
 * command in `args`, the payload of the one item procx took and cleared; with no work, ''. Rejects with a
 * ProcxError (`.exitCode`, `.stderr`) when procx exits non-zero.
 * @param {readonly string[]} args
 * @returns {Promise<string>}
 */
async function procx(args) {
  return (await run('procx', checkArgs(args))).toString('utf8');
}

/**
 * As procx(), resolving to the bytes of stdout: a binary payload, byte-exact.
 * @param {readonly string[]} args
 * @returns {Promise<Buffer>}
 */
procx.buffer = async function buffer(args) {
  return run('procx', checkArgs(args));
};

/**
 * Takes one item with `procx -hold`, at least once: resolves to null when there is no work, else to the
 * item (`payload`, `text()`), which stays claimed until `done()` clears it or `fail()` fails it. If the
 * program dies first, procx fails it and the source keeps it.
 * @type {(args: readonly string[]) => Promise<import('./lib/hold').HeldItem | null>}
 */
procx.take = take;

module.exports = procx;
