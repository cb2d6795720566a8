// A floor under any bootstrap through Node's fetch, for the HTTP-sync rows of bench:sync: a fresh
// Node process fetches the bytes of an HTTP-sync bootstrap with plain `fetch` (GET /info, the
// export of its generation, then the WAL frames past it in one /sync request) and reads every body
// to its end, doing nothing with the bytes. Node loads its fetch implementation on first use, so a
// fresh process pays that as our bootstrap does.
//   node benches/sync/fetch-floor.mjs <syncUrl>
// Prints one JSON line: {ms, bytes}.
const [url] = process.argv.slice(2);
if (!url) {
  console.error("usage: node fetch-floor.mjs <syncUrl>");
  process.exit(2);
}
const t0 = performance.now();
let bytes = 0;
async function drain(path) {
  const res = await fetch(url + path);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return res;
    bytes += value.length;
  }
}
const info = await (await fetch(`${url}/info`)).json();
const generation = info.current_generation;
await drain(`/export/${generation}`);
// Every frame past the export in one request (the dev primary answers up to its last frame; with no
// frames it answers the end of the generation).
await drain(`/sync/${generation}/1/${2 ** 31}`);
console.log(JSON.stringify({ ms: performance.now() - t0, bytes }));
