// Types of the tova_runtime package (index.js, the bridge over the native addon).
//
// Integers: an i64 arrives as a number when exact (|v| <= 2^53-1), else as a
// bigint; both are accepted on input. Numbers must be integers within the safe
// range: anything else is rejected with code TOVA_BAD_ARGUMENT (never rounded).

/** An i64 as it crosses the JS boundary. */
export type Int64 = number | bigint;

/** Stable error codes carried by every Error the package throws or rejects with. */
export type TovaErrorCode =
  | 'TOVA_UNAVAILABLE'
  | 'TOVA_BAD_ARGUMENT'
  | 'TOVA_NOT_FOUND'
  | 'TOVA_INVALID_MODULE'
  | 'TOVA_UNLINKABLE'
  | 'TOVA_TRAP'
  | 'TOVA_CLOSED'
  | 'TOVA_CANCELLED'
  | 'TOVA_TIMEOUT'
  | 'TOVA_UNSUPPORTED'
  | 'TOVA_SHUTDOWN'
  | 'TOVA_NOMEM';

export interface TovaError extends Error {
  code: TovaErrorCode;
}

// ---- availability ----------------------------------------------------------

/** True when the native addon loaded. Never throws. */
export function isRuntimeAvailable(): boolean;
/** File the addon was loaded from, or null. */
export function runtimePath(): string | null;
/** Why the addon is not available (how to build it, what was tried), or null. */
export function runtimeLoadError(): string | null;
/** 'tova_runtime ok' */
export function healthCheck(): string;

// ---- tasks -----------------------------------------------------------------

/** Runs a task on the worker pool; resolves to its value. */
export function spawnTask(value: Int64): Promise<Int64>;
/** Runs one task per value (as one batch); resolves to the values in order. */
export function concurrentAll(values: readonly Int64[]): Promise<Int64[]>;
/** Typed form of concurrentAll: Float64Array (all results exact numbers) or BigInt64Array. */
export function concurrentAllTyped(
  values: Float64Array | BigInt64Array | Int32Array,
): Promise<Float64Array | BigInt64Array>;

// ---- channels ----------------------------------------------------------------

/** Channel handle: a small integer valid in every thread and worker of the process. */
export type ChannelId = number;

/** Creates a channel of int64 values (capacity 0 = unbuffered rendezvous). */
export function channelCreate(capacity: number): ChannelId;
/** Try-send: true if sent, false if full. Never blocks. Throws TOVA_CLOSED after close. */
export function channelSend(id: ChannelId, value: Int64): boolean;
/** Try-receive: the value, or null when empty or closed and drained. Never blocks. */
export function channelReceive(id: ChannelId): Int64 | null;
/** Closes the channel: waiters wake; receivers drain what is buffered. Throws TOVA_CLOSED if already closed. */
export function channelClose(id: ChannelId): void;
/** Sends, waiting for room; settles when the value is taken or buffered. Rejects TOVA_CLOSED on close. */
export function channelSendAsync(id: ChannelId, value: Int64): Promise<void>;
/** Receives, waiting for a value; resolves null once the channel is closed and drained. */
export function channelRecv(id: ChannelId): Promise<Int64 | null>;
/** Async iterator over the channel's values until it is closed and drained. */
export function channelValues(id: ChannelId): AsyncGenerator<Int64, void, void>;

// ---- WebAssembly -------------------------------------------------------------

export type WasmValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface WasmExport {
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global';
  /** For functions. */
  params?: WasmValueType[];
  results?: WasmValueType[];
}

/** A compiled module (from compile()); reusable by every function below. */
export interface WasmModule {
  readonly exports: WasmExport[];
}

/** WebAssembly bytes, or a compiled module. */
export type WasmSource = Uint8Array | ArrayBuffer | ArrayBufferView | number[] | WasmModule;

/** Argument: i32/i64 take integer numbers (or bigint), f32/f64 take numbers. */
export type WasmArg = number | bigint;
/** undefined (no results), one value, or an array (several results). */
export type WasmResult = undefined | number | bigint | Array<number | bigint>;

export interface WasmTask {
  wasm: WasmSource;
  func: string;
  args?: WasmArg[];
}

/** Compiles (or fetches from the content-keyed cache) a module. Throws TOVA_INVALID_MODULE. */
export function compile(wasm: WasmSource): WasmModule;
/** Compiles the module's functions to native code now (blocking), into the
 *  code cache, so later processes running the same bytes are native from
 *  their first call; the number of units of code later runs will link.
 *  Throws TOVA_UNSUPPORTED without a native tier or a code cache. */
export function precompileWasm(wasm: WasmSource | WasmModule): number;
/** Per-call options: a deadline after which the task is cancelled with TOVA_TIMEOUT. */
export interface WasmOptions {
  timeout?: number;
}
/** Runs one export on a fresh instance, as a task on the pool (it may park on
 *  the `tova` host imports: docs/host-imports.md). */
export function execWasm(wasm: WasmSource, func: string, args?: WasmArg[], opts?: WasmOptions): Promise<WasmResult>;
/** Runs every task concurrently; results in order; the lowest-index failure
 *  rejects. Each task behaves as if it had an instance of its own; tasks of
 *  one stateless export (no memory, global or table writes, no imports) may
 *  run one after another on a shared instance, which cannot be told apart. */
export function concurrentWasm(tasks: readonly WasmTask[], opts?: WasmOptions): Promise<WasmResult[]>;
/** The same as concurrentWasm (the call shape Tova's compiler emits). */
export function concurrentWasmShared(tasks: readonly WasmTask[], opts?: WasmOptions): Promise<WasmResult[]>;
/** Tova's `concurrent first`: the first success; the other tasks are cancelled.
 *  If every task fails: rejects with the last error. No tasks: null. */
export function concurrentWasmFirst(tasks: readonly WasmTask[], opts?: WasmOptions): Promise<WasmResult | null>;
/** Tova's `concurrent timeout(ms)`: all results, or at the deadline every
 *  unfinished task is cancelled and it rejects with TOVA_TIMEOUT. */
export function concurrentWasmTimeout(tasks: readonly WasmTask[], ms: number): Promise<WasmResult[]>;
/** Tova's `concurrent cancel_on_error`: the first error cancels the rest and rejects with it. */
export function concurrentWasmCancelOnError(tasks: readonly WasmTask[], opts?: WasmOptions): Promise<WasmResult[]>;
/** One task with a handle. cancel() makes `result` reject with TOVA_CANCELLED
 *  (unless it has ended): spinning, deep in recursion, parked or sleeping alike.
 *  unref(), as a Node timer's or Worker's: the process may exit while the task
 *  still runs or waits (it then ends with the process, `result` unsettled);
 *  ref() undoes it. Both return the handle.
 *  Bad input still gives a handle: id 0 (no task started), `result` rejected
 *  with the error, cancel(), unref() and ref() without effect. */
export interface WasmTaskHandle {
  id: number;
  result: Promise<WasmResult>;
  cancel(): void;
  unref(): WasmTaskHandle;
  ref(): WasmTaskHandle;
}
export function spawnWasm(wasm: WasmSource, func: string, args?: WasmArg[], opts?: WasmOptions): WasmTaskHandle;
/**
 * Runs `func` once per row of `args` (row-major, nparams values per row), split
 * across the workers; rows of one chunk share an instance (use pure functions).
 * Results: Int32Array (i32 results), BigInt64Array (i64) or Float64Array (f32/f64),
 * rows * nresults long; undefined if the function returns nothing.
 * `rowCount` is needed only for functions without parameters.
 */
export function callBulk(
  module: WasmSource,
  func: string,
  args: Int32Array | Float64Array | Float32Array | BigInt64Array | null,
  rowCount?: number,
  opts?: WasmOptions,
): Promise<Int32Array | BigInt64Array | Float64Array | undefined>;

/** The plan's names: the same as execWasm / concurrentWasm (every task links the
 *  `tova` host imports its module imports). */
export function execWasmWithChannels(wasm: WasmSource, func: string, args?: WasmArg[], opts?: WasmOptions): Promise<WasmResult>;
export function concurrentWasmWithChannels(tasks: readonly WasmTask[], opts?: WasmOptions): Promise<WasmResult[]>;

export interface SelectCase {
  chan: number;
  op: 'recv' | 'send';
  value?: number | bigint;
}
export interface SelectResult {
  /** The case that fired, -1 for the timeout or the default case. */
  index: number;
  /** The received value (receive cases); null when the channel was closed. */
  value: number | bigint | null;
  /** The fired case's channel was closed (or unknown). */
  closed: boolean;
}
/** Go's select over runtime channels: fair among ready cases; options.timeout
 *  (ms) or options.default (do not wait). Rejects with TOVA_BAD_ARGUMENT when
 *  there are no cases and neither a timeout nor default: it could never fire. */
export function channelSelect(cases: readonly SelectCase[], options?: { timeout?: number; default?: boolean }): Promise<SelectResult>;
/** Try-sends the values in order until the channel is full; returns how many were taken. */
export function channelSendBatch(id: number, values: ArrayLike<number | bigint> | BigInt64Array): number;
/** Up to max values ready now (BigInt64Array if one is not a safe integer);
 *  null once the channel is closed and drained. */
export function channelReceiveBatch(id: number, max: number): Float64Array | BigInt64Array | null;

export interface WasiOptions {
  /** argv, program name first (default ['wasi']). */
  args?: string[];
  env?: Record<string, string>;
  /** guest path -> host directory; nothing else of the host is reachable. */
  preopens?: Record<string, string>;
  stdin?: 'inherit' | number;
  stdout?: 'inherit' | 'pipe' | number;
  stderr?: 'inherit' | 'pipe' | number;
  timeout?: number;
}
/** A WASI preview 1 command run as a runtime task; resolves with its exit
 *  status (and the captured streams for 'pipe'). */
export function runWasi(wasm: WasmSource, options?: WasiOptions): Promise<{ exitCode: number; stdout?: Buffer; stderr?: Buffer }>;

/** Which execution tiers this build has and the policy (TOVA_TIER), e.g.
 *  'tiers: interp, native (LLVM 19.1.7); policy interp', or why there is no
 *  native tier ('tiers: interp (native backend not loaded: ...)'). Loads
 *  the LLVM backend (tova_llvm.so) if it is not loaded yet. */
export function runtimeInfo(): string;
