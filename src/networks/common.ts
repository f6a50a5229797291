/** Helpers shared by the networks library: attaching typed members to a subnetwork. */
import { ValidationError } from "../errors.js";
import type { Network } from "../model/network.js";

/**
 * Attach `members` to `net` as read-only properties (so `ea.input` works) and record them in
 * `net.members`; returns `net` typed with the members. Throws if a member name is already taken.
 */
export function attach<T extends object>(net: Network, members: T): Network & T {
  for (const [name, value] of Object.entries(members)) {
    if (name in net) throw new ValidationError(`there is already a member named "${name}"`, name, net);
    Object.defineProperty(net, name, { value, enumerable: true, configurable: true, writable: false });
    net.members[name] = value;
  }
  return net as Network & T;
}

/** Set one more member (e.g. an output added later) on a network built by this library. */
export function setMember(net: Network, name: string, value: unknown): void {
  Object.defineProperty(net, name, { value, enumerable: true, configurable: true, writable: false });
  net.members[name] = value;
}

/** Drop keys whose value is undefined (so they do not shadow config defaults). */
export function defined<T extends object>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}
