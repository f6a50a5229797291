/**
 * WebAssembly SIMD kernels (src/kernels/kernels.wat) instantiated over a given WebAssembly.Memory, so they
 * work in place on data that lives there (the tfjs wasm backend's heap). Where WebAssembly SIMD is not
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
