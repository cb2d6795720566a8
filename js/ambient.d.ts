// Declarations for the few runtime-specific things the loaders touch (kept here instead of pulling
// in @types/node, Deno's and Cloudflare's type packages). Not emitted.

/** workerd (and wrangler's bundler) turn a static `.wasm` import into a compiled module. */
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

declare module "node:fs" {
  export function readFileSync(path: URL): Uint8Array<ArrayBuffer>;
}

declare const Deno: { readFileSync(path: URL): Uint8Array<ArrayBuffer> };
