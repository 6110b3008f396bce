// The fake API server's metadata-only mode and byte accounting (used by
// bench/k8s-sim): objects cut to PartialObjectMetadata as the real server
// does for that Accept header, full objects otherwise.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeApiServer } from './fake-apiserver.ts';
import { NODES, node } from './fixtures.ts';

let api: FakeApiServer | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('fake API server, metadata-only', () => {
  it('lists and watches PartialObjectMetadata when asked, and counts the bytes it sent', async () => {
    api = await FakeApiServer.start();
    api.upsert(NODES, node('n1', '2026-01-01T00:00:00Z', 'zone-a', true));
    type List = { kind: string; metadata: { resourceVersion: string }; items: { status?: { conditions: unknown[] } }[] };
    const meta = (await (await fetch(`${api.url}${NODES}`, { headers: { accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' } })).json()) as List;
    expect(meta.kind).toBe('PartialObjectMetadataList');
    expect(meta.items[0]).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'n1' }) });
    const full = (await (await fetch(`${api.url}${NODES}`)).json()) as List;
    expect(full.items[0]!.status!.conditions).toHaveLength(2);
    expect(api.requests[1]!.bytes).toBeGreaterThan(api.requests[0]!.bytes);

    const controller = new AbortController();
    const res = await fetch(`${api.url}${NODES}?watch=1&resourceVersion=${meta.metadata.resourceVersion}`, {
      headers: { accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1' },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    api.upsert(NODES, node('n2', '2026-01-01T00:00:00Z', 'zone-b', false));
    let text = '';
    while (!text.includes('\n')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const event = JSON.parse(text.slice(0, text.indexOf('\n')));
    expect(event).toEqual({ type: 'ADDED', object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'n2' }) } });
    expect(api.requests[2]!.bytes).toBe(text.indexOf('\n') + 1);
  });
});
