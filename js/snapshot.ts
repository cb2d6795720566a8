// `snapshotStore` in the shape the wasm side reads (src/wasm/snapshot.rs): `get(key)` resolving to
// a Uint8Array or null, `put(key, bytes)`. Accepts a Workers/Deno `Cache` (keys become URLs under
// a host no route serves), an R2 bucket binding, or any object with get/put of bytes.

export interface BytesStore {
  get(key: string): Promise<Uint8Array | ArrayBuffer | null | undefined>;
  put(key: string, bytes: Uint8Array): Promise<unknown>;
}

/** The host snapshot keys live under in a Cache (`.invalid` can never be served). */
const CACHE_BASE = "https://libsql-edge-snapshots.invalid/";

function bytes(value: ArrayBuffer | Uint8Array | null | undefined): Uint8Array | null {
  if (value === null || value === undefined) return null;
  return value instanceof Uint8Array ? value : new Uint8Array(value);
}

export function snapshotStore(store: unknown): BytesStore | undefined {
  if (store === undefined || store === null) return undefined;
  const s = store as Record<string, unknown>;
  if (typeof s.match === "function" && typeof s.put === "function") {
    const cache = store as Cache;
    return {
      get: async (key) => {
        const hit = await cache.match(CACHE_BASE + key);
        return hit ? new Uint8Array(await hit.arrayBuffer()) : null;
      },
      // Chunks never change (their key is their checksum); the manifest is overwritten by the next
      // publish. Both may be evicted any time: a reader then falls back to the primary.
      put: (key, data) => cache.put(CACHE_BASE + key, new Response(data as Uint8Array<ArrayBuffer>, { headers: { "cache-control": "public, max-age=31536000" } })),
    };
  }
  if (typeof s.get === "function" && typeof s.put === "function" && typeof s.head === "function") {
    const bucket = store as { get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>; put(key: string, v: Uint8Array): Promise<unknown> };
    return {
      get: async (key) => {
        const object = await bucket.get(`libsql-edge/${key}`);
        return object ? new Uint8Array(await object.arrayBuffer()) : null;
      },
      put: (key, data) => bucket.put(`libsql-edge/${key}`, data),
    };
  }
  if (typeof s.get === "function" && typeof s.put === "function") {
    const plain = store as BytesStore;
    return { get: async (key) => bytes(await plain.get(key)), put: (key, data) => plain.put(key, data) };
  }
  throw new TypeError("snapshotStore must be a Cache, an R2 bucket, or an object with get(key) and put(key, bytes)");
}
