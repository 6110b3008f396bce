// The probe kinds, once. Every per-kind table (the registry, the config
// schemas, the metric recorders) is typed `{ [K in KindName]: ... }`, so a
// kind missing from one of them, or one too many, is a compile error.
export const KIND_NAMES = ['dns', 'tcp', 'icmp'] as const;
export type KindName = (typeof KIND_NAMES)[number];
