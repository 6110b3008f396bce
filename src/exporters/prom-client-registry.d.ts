// Types for the one prom-client module netprobe imports directly (see prom-registry.ts).
declare module 'prom-client/lib/registry.js' {
  import type { Registry } from 'prom-client';
  const RegistryClass: typeof Registry;
  export default RegistryClass;
}
