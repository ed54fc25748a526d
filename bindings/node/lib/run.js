// @ts-check
'use strict';
// Runs the procx / pushx executables: argument checks, where the executable is found, collecting a run's
// output, and the error a failed run rejects with. procx.js, pushx.js and hold.js build on this.

const { spawn } = require('node:child_process');
const { constants } = require('node:os');
const path = require('node:path');

/**
 * The error a failed procx or pushx run rejects with: the executable exited non-zero, was killed by a
 * signal, or could not be started.
 */
class ProcxError extends Error {
  /**
   * @param {string} message
   * @param {{tool: string, args: string[], exitCode: number | null, signal: NodeJS.Signals | null,
   *          stderr: string, code?: string, cause?: unknown}} details
   */
  constructor(message, details) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ProcxError';
    /** The executable's exit code; 128 + n when a signal n killed it; null when it never started. */
    this.exitCode = details.exitCode;
    /** Everything the executable wrote to stderr (its logs and its error message). */
    this.stderr = details.stderr;
    /** The signal that killed it, else null. */
    this.signal = details.signal;
    /** The executable as it was started (PROCX_BIN / PUSHX_BIN, else the name looked up in PATH). */
    this.tool = details.tool;
    /** The arguments it was given. */
    this.args = details.args;
    /** When the executable could not be started: the system error's code (ENOENT, EACCES). */
    if (details.code !== undefined) this.code = details.code;
  }
}

/**
 * The executable to run: the env var (PROCX_BIN, PUSHX_BIN) when set and not empty, else the bare name,
 * which spawn looks up in PATH. Read at every call, so a change of the env var takes effect at once.
 * @param {'procx' | 'pushx'} name
 * @returns {string}
 */
function executable(name) {
  const fromEnv = process.env[name === 'procx' ? 'PROCX_BIN' : 'PUSHX_BIN'];
  return fromEnv ? fromEnv : name;
}

/**
 * The environment for the executable: this process's, less the binding's own PROCX_BIN / PUSHX_BIN.
 * procx and pushx warn about any variable under their prefix that is not one of their settings, and a
 * variable that only tells this binding where the executable is should not produce a warning on every call.
 * @param {'procx' | 'pushx'} name
 * @returns {NodeJS.ProcessEnv}
 */
function environment(name) {
  const env = { ...process.env };
  delete env[name === 'procx' ? 'PROCX_BIN' : 'PUSHX_BIN'];
  return env;
}

/**
 * A copy of the arguments, checked: an array of strings. They go to the executable as they are, never
 * through a shell, so spaces, quotes and `$` need no escaping.
 * @param {unknown} args
 * @returns {string[]}
 */
function checkArgs(args) {
  if (!Array.isArray(args)) {
    throw new TypeError(`args must be an array of strings, got ${args === null ? 'null' : typeof args}`);
  }
  return args.map((arg, i) => {
    if (typeof arg !== 'string') throw new TypeError(`args[${i}] must be a string, got ${typeof arg}`);
    return arg;
  });
}

/**
 * The exit code to report: the process's own, or 128 + the signal's number as a shell reports it.
 * @param {number | null} code
 * @param {NodeJS.Signals | null} signal
 * @returns {number | null}
 */
function exitCodeOf(code, signal) {
  if (code !== null) return code;
  if (signal !== null && constants.signals[signal] !== undefined) return 128 + constants.signals[signal];
  return null;
}

/**
 * The line of stderr that says what went wrong: the last one naming an error, else the last one.
 * @param {string} stderr
 * @returns {string}
 */
function summary(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/\berror\b/i.test(lines[i])) return lines[i];
  }
  return lines.length > 0 ? lines[lines.length - 1] : '';
}

/**
 * The error for a run that ended with an unexpected exit.
 * @param {string} tool
 * @param {string[]} args
 * @param {number | null} code
 * @param {NodeJS.Signals | null} signal
 * @param {string} stderr
 * @param {string} [what] what the caller expected, when it was not exit 0
 * @returns {ProcxError}
 */
function exitError(tool, args, code, signal, stderr, what) {
  const exitCode = exitCodeOf(code, signal);
  const how = signal !== null ? `was killed by ${signal} (exit code ${exitCode})` : `exited with code ${exitCode}`;
  const said = summary(stderr);
  const message = `${path.basename(tool)} ${how}${what ? `, ${what}` : ''}${said ? `: ${said}` : ''}`;
  return new ProcxError(message, { tool, args, exitCode, signal, stderr });
}

/**
 * The error for an executable that could not be started.
 * @param {string} tool
 * @param {string[]} args
 * @param {NodeJS.ErrnoException} err
 * @returns {ProcxError}
 */
function spawnError(tool, args, err) {
  const name = tool === 'procx' || tool === 'pushx' ? `${tool} (not found in PATH; set ${tool.toUpperCase()}_BIN?)` : tool;
  return new ProcxError(`cannot run ${name}: ${err.message}`, {
    tool, args, exitCode: null, signal: null, stderr: '', code: err.code, cause: err,
  });
}

/**
 * Runs the executable to its end and resolves to its stdout, or rejects with a ProcxError when it exits
 * non-zero. `input`, when given, is written to its stdin (which is then closed); otherwise stdin is
 * /dev/null.
 * @param {'procx' | 'pushx'} name
 * @param {string[]} args
 * @param {Buffer | Uint8Array | string} [input]
 * @returns {Promise<Buffer>}
 */
function run(name, args, input) {
  const tool = executable(name);
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(tool, args, {
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: environment(name),
      });
    } catch (err) {
      // spawn throws at once for arguments it refuses (a NUL byte in an argument).
      reject(err);
      return;
    }
    /** @type {Buffer[]} */
    const out = [];
    /** @type {Buffer[]} */
    const err = [];
    let failed = false;
    // Both are pipes: stdio is 'pipe' for them.
    /** @type {import('node:stream').Readable} */ (child.stdout).on('data', (b) => out.push(b));
    /** @type {import('node:stream').Readable} */ (child.stderr).on('data', (b) => err.push(b));
    child.on('error', (e) => {
      failed = true;
      reject(spawnError(tool, args, e));
    });
    child.on('close', (code, signal) => {
      if (failed) return;
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve(Buffer.concat(out));
      else reject(exitError(tool, args, code, signal, stderr));
    });
    if (input !== undefined && child.stdin) {
      // An executable that stops before reading all of its input (a bad flag) closes the pipe: that is
      // reported by its exit code, not as a write error.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
}

module.exports = { ProcxError, executable, environment, checkArgs, exitError, spawnError, run };
