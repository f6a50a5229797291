/**
 * WebAssembly SIMD kernels (src/kernels/kernels.wat) instantiated over a given WebAssembly.Memory, so they
 * work in place on data that lives there (the tfjs wasm backend's heap, the reference simulator's arena). Where WebAssembly SIMD is not
 * available the loader returns null and callers keep their JS loops, which compute the same values.
 */
import { kernelsWasm, ratesWasm } from "./wasm.generated.js";

/** The exported kernels; pointers are byte offsets into the memory the instance was made for. */
export interface WasmKernels {
  /** Nengo's LIF step on float32 arrays J, V, RT -> O, V2, RT2 (n elements; see lifStepBody). */
  lifStepF32(
    J: number,
    V: number,
    RT: number,
    O: number,
    V2: number,
    RT2: number,
    n: number,
    dt: number,
    tauRc: number,
    fullFactor: number,
    minVoltage: number,
    spike: number,
    tSpike0: number,
  ): void;
  /** LIF rate and dRate/dJ on float32 arrays J -> R, G (n elements; see lifRateBody). */
  lifRateF32(J: number, R: number, G: number, n: number, tauRc: number, tauRef: number, amplitude: number): void;
  /**
   * Nengo's LIF step on float64 arrays, as lifSpikingKernel (src/neurons/lif.ts) computes it: J in, V and RT
   * updated in place, O written (n elements); `fullStep` = expm1(-dt / tauRc), `h` = amplitude / dt.
   */
  lifStepF64(
    J: number,
    V: number,
    RT: number,
    O: number,
    n: number,
    dt: number,
    tauRc: number,
    fullStep: number,
    minVoltage: number,
    h: number,
    tauRef: number,
  ): void;
  /** Y += A @ X (float64, A row-major [rows, cols]), summed as gemvJs (src/simulator/kernels.ts). */
  gemvF64(A: number, X: number, Y: number, rows: number, cols: number): void;
  /** W[i, :] += E[i] * P (float64, W row-major [rows, cols]), skipping rows with E[i] = 0, as rank1Js. */
  rank1F64(W: number, E: number, P: number, rows: number, cols: number): void;
  /** The reference simulator's merged operators over tables of runs at byte address T (src/simulator/kernels.ts). */
  axpyRuns(T: number, n: number): void;
  addRuns(T: number, n: number): void;
  mulAddRuns(T: number, n: number): void;
  lowpassRuns(T: number, n: number, a: number, b: number): void;
  spikeScatter(T: number, nSeg: number): void;
  /**
   * C = A @ B (float64; A [rows, d] contiguous, B [d, n] and C [rows, n] with row strides ldb, ldc), each
   * C[i, k] summed over j in order from +0 as a plain loop sums it.
   */
  matmulF64(A: number, B: number, C: number, rows: number, d: number, n: number, ldb: number, ldc: number): void;
}

let compiled: WebAssembly.Module[] | null | undefined;
const instances = new WeakMap<WebAssembly.Memory, WasmKernels | null>();

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function compile(): WebAssembly.Module[] | null {
  if (compiled === undefined) {
    try {
      compiled = [kernelsWasm, ratesWasm].map((b) => new WebAssembly.Module(decodeBase64(b)));
    } catch {
      compiled = null; // no WebAssembly SIMD here
    }
  }
  return compiled;
}

/** The kernels over `memory` (one instance per memory), or null when they cannot run here. */
export function wasmKernels(memory: WebAssembly.Memory): WasmKernels | null {
  let k = instances.get(memory);
  if (k === undefined) {
    const mods = compile();
    const imports = { env: { memory }, math: { expm1: Math.expm1, log1p: Math.log1p } };
    try {
      k = mods
        ? (Object.assign({}, ...mods.map((m) => new WebAssembly.Instance(m, imports).exports)) as WasmKernels)
        : null;
    } catch {
      k = null;
    }
    instances.set(memory, k);
  }
  return k;
}

let scratch: WebAssembly.Memory | null | undefined;

/**
 * A scratch WebAssembly.Memory of at least `bytes` (one per process, grown as needed: views of an earlier
 * call are detached) and its kernels, for work that copies its operands in; null where SIMD is unavailable
 * or the size is out of reach.
 */
export function scratchKernels(bytes: number): { memory: WebAssembly.Memory; kernels: WasmKernels } | null {
  if (scratch === null || bytes > 2 ** 31) return null;
  try {
    const pages = Math.ceil(bytes / 65536);
    if (scratch === undefined) scratch = new WebAssembly.Memory({ initial: pages });
    else if (scratch.buffer.byteLength < bytes) scratch.grow(pages - scratch.buffer.byteLength / 65536);
  } catch {
    if (scratch === undefined) scratch = null;
    return null;
  }
  if (!scratch) return null;
  const kernels = wasmKernels(scratch);
  return kernels ? { memory: scratch, kernels } : null;
}
