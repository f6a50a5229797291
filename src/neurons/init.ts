/** Shared initial-state values of the neuron types. */
import type { StateInit } from "./base.js";
import { Uniform } from "../dists/basic.js";

/**
 * Initial membrane voltage of the spiking types: Nengo's `Uniform(0, 1)`, sampled per neuron from
 * the ensemble's `RandomState(seed + 1)` in state order (a new instance per call).
 */
export function uniformVoltage(): StateInit {
  return new Uniform(0, 1);
}
