/// <reference types="node" />
// Types for procx-dotnet: require('procx-dotnet/procx'), require('procx-dotnet/pushx'), require('procx-dotnet').

/** The error a failed procx or pushx run rejects with. */
export declare class ProcxError extends Error {
  readonly name: 'ProcxError';
  /** The exit code (docs/cli.md); 128 + n when signal n killed the executable; null when it never started. */
  readonly exitCode: number | null;
  /** Everything the executable wrote to stderr: its logs and its error message. */
  readonly stderr: string;
  /** The signal that killed the executable, else null. */
  readonly signal: NodeJS.Signals | null;
  /** The executable as started: PROCX_BIN / PUSHX_BIN, else `procx` / `pushx` looked up in PATH. */
  readonly tool: string;
  /** The arguments it was given. */
  readonly args: string[];
  /** When the executable could not be started: the system error's code (`ENOENT`, `EACCES`). */
  readonly code?: string;
}

/** One item taken with procx.take(), claimed by procx until done() or fail(). */
export declare class HeldItem {
  private constructor();
  /** The payload, byte-exact. */
  readonly payload: Buffer;
  /** The process id of the procx that holds the item. */
  readonly pid: number;
  /** The payload decoded as text (UTF-8 unless told). */
  text(encoding?: BufferEncoding): string;
  /** Clears the item (`ok`) and waits for procx; rejects with a ProcxError unless procx exits 0. */
  done(): Promise<void>;
  /** Fails the item (`fail`) and waits for procx; rejects with a ProcxError unless procx exits 1. */
  fail(): Promise<void>;
}

export interface Procx {
  /**
   * Runs procx with `args` (never through a shell); resolves to its stdout as UTF-8: with no command,
   * the payload of the item it took and cleared, '' when there was no work.
   */
  (args: readonly string[]): Promise<string>;
  /** As procx(args), resolving to the bytes of stdout (a binary payload, byte-exact). */
  buffer(args: readonly string[]): Promise<Buffer>;
  /**
   * `procx -hold`: null when there is no work, else the item, which stays in the source until done()
   * clears it; fail(), or the program ending or dying first, fails it.
   */
  take(args: readonly string[]): Promise<HeldItem | null>;
}

export interface Pushx {
  /**
   * Runs pushx with `args` (never through a shell) and `input` on its stdin; resolves to its stdout as
   * UTF-8 (the input again with `-out=-`, else '').
   */
  (input: string | Buffer | Uint8Array, args: readonly string[]): Promise<string>;
  /** As pushx(input, args), resolving to the bytes of stdout. */
  buffer(input: string | Buffer | Uint8Array, args: readonly string[]): Promise<Buffer>;
}

export declare const procx: Procx;
export declare const pushx: Pushx;
export declare const take: Procx['take'];
