/** The messages between the embedded store (embedded.ts, main thread) and its worker (embedded-worker.ts). */

/** `tx`: the id of the `begin` request that opened the transaction to run in. */
export type EmbeddedRequest =
  /** The first request, id 0: the worker starts (loading PGlite) before it is told what to open. */
  | {
      readonly id: number;
      readonly op: 'open';
      /** Absent: in memory (tests). */
      readonly dbDir: string | undefined;
      /** PGlite's WebAssembly.Module, compiled once per process and shared by every embedded store in it. */
      readonly wasmModule: object;
    }
  | { readonly id: number; readonly op: 'query'; readonly text: string; readonly params: unknown[] | undefined; readonly tx: number | undefined }
  | { readonly id: number; readonly op: 'exec'; readonly script: string; readonly tx: number | undefined }
  /** `COPY <target> FROM` the bytes (text format); they arrive transferred, not copied. */
  | { readonly id: number; readonly op: 'copy'; readonly target: string; readonly rows: Uint8Array }
  | { readonly id: number; readonly op: 'begin' }
  | { readonly id: number; readonly op: 'end'; readonly tx: number; readonly commit: boolean }
  | { readonly id: number; readonly op: 'close' };

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** SQLSTATE `code`, `detail`, `constraint`...: what callers look at. Never parameter values. */
  readonly fields: Record<string, string | number>;
  readonly transactionAborted?: true;
}

export type EmbeddedReply = { readonly id: number; readonly rows: unknown[]; readonly error?: undefined } | { readonly id: number; readonly error: SerializedError; readonly rows?: undefined };
