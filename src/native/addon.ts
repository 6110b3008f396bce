// Loading a Linux-only addon from build/Release once, remembering why it
// could not be loaded, so a wrapper can fall back (DNS to node:dgram, TCP to
// node:net) and say why.
import { createRequire } from 'node:module';

export interface LazyAddon<T> {
  /** The addon, or undefined when it cannot be used (then `unavailable()` says why). */
  get(): T | undefined;
  /** Why the addon cannot be used, or undefined when it can. */
  unavailable(): string | undefined;
}

/** `file` is the .node name under build/Release; `what` names it in messages ("the DNS UDP addon"). */
export function lazyAddon<T>(file: string, what: string): LazyAddon<T> {
  let addon: T | undefined;
  let loadError: string | undefined;
  const get = (): T | undefined => {
    if (addon || loadError !== undefined) return addon;
    if (process.platform !== 'linux') {
      loadError = `${what} is Linux-only (this is ${process.platform})`;
      return undefined;
    }
    try {
      // This module sits two levels below the project root, as dist/cli/ does in the bundle.
      addon = createRequire(import.meta.url)(`../../build/Release/${file}`) as T;
    } catch (err) {
      loadError = `build/Release/${file} not loadable (run "npm rebuild"): ${(err as Error).message.split('\n')[0]}`;
    }
    return addon;
  };
  return {
    get,
    unavailable: () => {
      get();
      return addon ? undefined : loadError;
    },
  };
}
