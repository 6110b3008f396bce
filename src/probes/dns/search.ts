// Search-list expansion as glibc's res_nsearch does it, so a probe asks the
// same sequence of names a pod's libc would.

const MAX_NAME = 253;

/**
 * Candidate names for `name`, in the order they are tried:
 * - absolute names (trailing dot) and an empty search list: the name alone;
 * - at least `ndots` dots: the name as given first, then each search suffix;
 * - fewer dots: each search suffix first, the name as given last.
 * Candidates longer than a DNS name can be are skipped, as glibc does.
 */
export function searchCandidates(name: string, search: readonly string[], ndots: number): string[] {
  if (search.length === 0 || name.endsWith('.')) return [name];
  let dots = 0;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) === 46) dots++;
  const expanded: string[] = [];
  for (const domain of search) {
    const suffix = domain.replace(/^\.+|\.+$/g, '');
    if (suffix === '') continue;
    const candidate = `${name}.${suffix}`;
    if (candidate.length <= MAX_NAME) expanded.push(candidate);
  }
  return dots >= ndots ? [name, ...expanded] : [...expanded, name];
}
