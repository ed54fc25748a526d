// @ts-check
'use strict';
// procx.take(): one item taken over `procx -hold`, settled later with done() or fail().
//
// The protocol (docs/cli.md): procx's stdout is the line `item` then the payload up to EOF, or the line
// `none` when there is no work. procx then waits for one line on its stdin: `ok` clears the item (exit 0),
// anything else fails it (exit 1), and EOF before a line fails it too, so a caller that dies (even by
// SIGKILL) leaves the item recoverable.

const { spawn } = require('node:child_process');
const { executable, environment, checkArgs, exitError, spawnError, ProcxError } = require('./run');

/**
 * Refs or unrefs a pipe to procx (a net.Socket at run time; typed as a plain stream), so that a held item
 * does not keep the event loop alive on its own.
 * @param {import('node:stream').Stream} stream
 * @param {boolean} on
 */
function setRef(stream, on) {
  const pipe = /** @type {{ref?: () => void, unref?: () => void}} */ (/** @type {unknown} */ (stream));
  if (on) pipe.ref?.();
  else pipe.unref?.();
}

/** The longest header line procx writes (`item`, `none`) with room to spare. */
const MAX_HEADER = 64;

/**
 * An item procx holds until it is settled. While it is unsettled it does not keep the Node.js process
 * alive: a program that ends without a verdict closes procx's stdin, and procx fails the item.
 */
class HeldItem {
  /** @type {import('node:child_process').ChildProcessWithoutNullStreams} */
  #child;
  /** @type {Promise<{code: number | null, signal: NodeJS.Signals | null, stderr: string}>} */
  #closed;
  /** @type {string} */
  #tool;
  /** @type {string[]} */
  #args;
  /** @type {'done' | 'fail' | null} */
  #verdict = null;

  /**
   * @param {import('node:child_process').ChildProcessWithoutNullStreams} child
   * @param {Promise<{code: number | null, signal: NodeJS.Signals | null, stderr: string}>} closed
   * @param {Buffer} payload
   * @param {string} tool
   * @param {string[]} args
   */
  constructor(child, closed, payload, tool, args) {
    this.#child = child;
    this.#closed = closed;
    this.#tool = tool;
    this.#args = args;
    /** The payload, byte-exact. @type {Buffer} */
    this.payload = payload;
    /** The process id of the procx holding the item. @type {number} */
    this.pid = /** @type {number} */ (child.pid);
  }

  /**
   * The payload decoded as text.
   * @param {BufferEncoding} [encoding] default utf8
   * @returns {string}
   */
  text(encoding = 'utf8') {
    return this.payload.toString(encoding);
  }

  /**
   * Clears the item: writes `ok`, then waits for procx. Rejects with a ProcxError when procx exits
   * non-zero (the clear failed, or the item was already failed by `-timeout`: exit 124).
   * @returns {Promise<void>}
   */
  done() {
    return this.#settle('done', 'ok', 0);
  }

  /**
   * Fails the item (the source's fail op, as for a child that exited non-zero): writes `fail`, then
   * waits for procx's exit 1. Rejects with a ProcxError on any other exit.
   * @returns {Promise<void>}
   */
  fail() {
    return this.#settle('fail', 'fail', 1);
  }

  /**
   * @param {'done' | 'fail'} verdict
   * @param {string} line
   * @param {number} expected
   * @returns {Promise<void>}
   */
  async #settle(verdict, line, expected) {
    if (this.#verdict !== null) {
      throw new Error(`the item was already settled with ${this.#verdict}()`);
    }
    this.#verdict = verdict;
    const child = this.#child;
    // Keep the process alive until procx has answered.
    child.ref();
    setRef(child.stderr, true);
    setRef(child.stdin, true);
    // procx may have gone already (-timeout, a signal): the write then fails, and the exit code says why.
    child.stdin.end(`${line}\n`);
    const { code, signal, stderr } = await this.#closed;
    if (code !== expected || signal !== null) {
      throw exitError(this.#tool, ['-hold', ...this.#args], code, signal, stderr,
        `expected ${expected} after '${line}'`);
    }
  }
}

/**
 * Takes one item with `procx -hold [args]`: resolves to null when there is no work, else to the item,
 * which stays claimed until done() or fail(). Rejects with a ProcxError when procx stops before handing
 * over an item (a bad flag: 64, a bad setting: 78, the source unreachable: 69).
 * @param {readonly string[]} args the driver's flags; no command
 * @returns {Promise<HeldItem | null>}
 */
function take(args) {
  let argv;
  try {
    argv = checkArgs(args);
  } catch (err) {
    return Promise.reject(err);
  }
  const tool = executable('procx');
  const fullArgs = ['-hold', ...argv];
  return new Promise((resolve, reject) => {
    /** @type {import('node:child_process').ChildProcessWithoutNullStreams} */
    let child;
    try {
      child = spawn(tool, fullArgs, { stdio: ['pipe', 'pipe', 'pipe'], env: environment('procx') });
    } catch (err) {
      reject(err);
      return;
    }
    /** @type {Buffer[]} */
    const errChunks = [];
    child.stderr.on('data', (b) => errChunks.push(b));
    child.stdin.on('error', () => {}); // procx gone before the verdict: its exit code tells why
    let spawnFailed = false;
    /** @type {{code: number | null, signal: NodeJS.Signals | null} | null} */
    let exit = null;
    child.on('exit', (code, signal) => { exit = { code, signal }; });
    /** @type {Promise<{code: number | null, signal: NodeJS.Signals | null, stderr: string}>} */
    const closed = new Promise((resolveClosed) => {
      child.on('close', (code, signal) => {
        resolveClosed({ code, signal, stderr: Buffer.concat(errChunks).toString('utf8') });
      });
    });
    child.on('error', (err) => {
      spawnFailed = true;
      reject(spawnError(tool, fullArgs, err));
    });

    /** @type {string | null} */
    let header = null;
    /** @type {Buffer[]} */
    let head = [];
    let headLength = 0;
    /** @type {Buffer[]} */
    const payload = [];

    /** @param {string} what */
    const protocolError = async (what) => {
      child.stdin.end(); // EOF: procx fails whatever it holds
      const { code, signal, stderr } = await closed;
      if (spawnFailed) return;
      reject(new ProcxError(`procx -hold: ${what}`, {
        tool, args: fullArgs, exitCode: code, signal, stderr,
      }));
    };

    child.stdout.on('data', (/** @type {Buffer} */ chunk) => {
      if (header !== null) {
        payload.push(chunk);
        return;
      }
      head.push(chunk);
      headLength += chunk.length;
      const all = Buffer.concat(head);
      const nl = all.indexOf(0x0a);
      if (nl < 0) {
        if (headLength > MAX_HEADER) {
          header = '';
          protocolError(`no header line in the first ${MAX_HEADER} bytes of its output`);
        }
        return;
      }
      header = all.subarray(0, nl).toString('latin1');
      head = [];
      if (all.length > nl + 1) payload.push(all.subarray(nl + 1));
      if (header === 'none') child.stdin.end();
      else if (header !== 'item') {
        protocolError(`unexpected header line ${JSON.stringify(header)} (expected 'item' or 'none')`);
      }
    });

    child.stdout.on('end', async () => {
      if (header === 'item') {
        if (exit !== null && (exit.code !== 0 || exit.signal !== null)) {
          // procx stopped while it wrote the payload: what arrived may be cut short.
          const { code, signal, stderr } = await closed;
          reject(exitError(tool, fullArgs, code, signal, stderr, 'before the payload was complete'));
          return;
        }
        const item = new HeldItem(child, closed, Buffer.concat(payload), tool, argv);
        // An unsettled item must not keep the program alive; settling refs the process again.
        child.unref();
        setRef(child.stdin, false);
        setRef(child.stderr, false);
        resolve(item);
        return;
      }
      if (header === 'none' || header === null) {
        const { code, signal, stderr } = await closed;
        if (spawnFailed) return;
        if (code !== 0 || signal !== null) reject(exitError(tool, fullArgs, code, signal, stderr));
        else if (header === 'none') resolve(null);
        else reject(new ProcxError('procx -hold exited 0 without a header line', {
          tool, args: fullArgs, exitCode: 0, signal: null, stderr,
        }));
      }
      // any other header: protocolError settles it
    });
  });
}

module.exports = { take, HeldItem };
