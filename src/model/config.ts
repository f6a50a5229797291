/**
 * Network configs, as Nengo's `net.config`: class-level defaults (`configure(nengo.Ensemble, {...})`)
 * and per-object settings (`config.get(obj).trainable = false`). Extra parameters (like NengoDL's
 * `trainable`) are added with `addParam`.
 */
import { ConfigError } from "../errors.js";

/** Any class that can be configured. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConfigurableClass = abstract new (...args: any[]) => object;

/** Settings for one class or object: a plain record of parameter values. */
export type ConfigEntry = Record<string, unknown>;

/** A network's config. */
export class Config {
  private readonly classEntries = new Map<ConfigurableClass, ConfigEntry>();
  private readonly objEntries = new Map<object, ConfigEntry>();
  private readonly extraParams = new Map<ConfigurableClass, Map<string, unknown>>();

  /** Set class-level defaults for objects created in this network (and its subnetworks). */
  configure(cls: ConfigurableClass, defaults: ConfigEntry): this {
    const entry = this.get(cls);
    Object.assign(entry, defaults);
    return this;
  }

  /**
   * The mutable settings record of a class or an object. Setting a key on it configures that parameter;
   * for objects, only parameters added with `addParam` (e.g. NengoDL's `trainable`) are consulted.
   */
  get(key: object): ConfigEntry {
    if (typeof key === "function") {
      const cls = key as ConfigurableClass;
      let e = this.classEntries.get(cls);
      if (!e) {
        e = {};
        this.classEntries.set(cls, e);
      }
      return e;
    }
    let e = this.objEntries.get(key);
    if (!e) {
      e = {};
      this.objEntries.set(key, e);
    }
    return e;
  }

  /** True when `key` (class or object) has a setting for `param`. */
  has(key: object, param: string): boolean {
    const e = typeof key === "function" ? this.classEntries.get(key as ConfigurableClass) : this.objEntries.get(key);
    return e !== undefined && Object.prototype.hasOwnProperty.call(e, param);
  }

  /** The configured value (or undefined) of `param` for a class or object. */
  lookup(key: object, param: string): unknown {
    const e = typeof key === "function" ? this.classEntries.get(key as ConfigurableClass) : this.objEntries.get(key);
    return e?.[param];
  }

  /** Add an optional parameter to a class (NengoDL's `configure_settings` uses this). */
  addParam(cls: ConfigurableClass, name: string, defaultValue: unknown): void {
    let m = this.extraParams.get(cls);
    if (!m) {
      m = new Map();
      this.extraParams.set(cls, m);
    }
    m.set(name, defaultValue);
    const entry = this.get(cls);
    if (!(name in entry)) entry[name] = defaultValue;
  }

  /** True when `addParam(cls, name)` was called. */
  hasParam(cls: ConfigurableClass, name: string): boolean {
    return this.extraParams.get(cls)?.has(name) ?? false;
  }

  /** Throws a ConfigError if `name` is not a known extra parameter of `cls`. */
  requireParam(cls: ConfigurableClass, name: string): void {
    if (!this.hasParam(cls, name)) {
      throw new ConfigError(`${cls.name} has no config parameter "${name}"; call configureSettings first`);
    }
  }
}
