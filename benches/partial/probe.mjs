// bench:partial's server probe: how long tursodb itself takes to answer a one-page /pull-updates
// (directly on loopback, no netem), to tell the server's share of a miss from the replica's.
// The request body is a protobuf PullUpdatesReqProtoBody (docs: protocols.md 8.2) with one field:
//   field 5 `server_pages_selector` (tag byte 0x2a = field 5, wire type 2), a one-byte length, then
//   a RoaringBitmap in the portable format without run containers holding one page id (zero-based):
//     offset 0,  u32 LE: cookie 12346 (no runs)
//     offset 4,  u32 LE: container count, 1
//     offset 8,  u16 LE: the container's key, page >> 16
//     offset 10, u16 LE: its cardinality - 1, 0
//     offset 12, u32 LE: the offset of its data, 16
//     offset 16, u16 LE: the value, page & 0xffff
// No revisions (fields 2 and 3 empty): the page as of the head.
import { median } from "../lib/harness.mjs";
import { uniformIds } from "./workload.mjs";

function onePage(page) {
  const bitmap = Buffer.alloc(18);
  bitmap.writeUInt32LE(12346, 0);
  bitmap.writeUInt32LE(1, 4);
  bitmap.writeUInt16LE(page >>> 16, 8);
  bitmap.writeUInt16LE(0, 10);
  bitmap.writeUInt32LE(16, 12);
  bitmap.writeUInt16LE(page & 0xffff, 16);
  return Buffer.concat([Buffer.from([0x2a, bitmap.length]), bitmap]);
}

/** The median time of `count` one-page /pull-updates of random pages below `pages`. */
export async function pageFetchMs(tursoUrl, pages, count) {
  const times = [];
  for (const page of uniformIds(pages - 1, count, 99)) {
    const t0 = performance.now();
    const res = await fetch(`${tursoUrl}/pull-updates`, { method: "POST", body: onePage(page) });
    const bytes = (await res.arrayBuffer()).byteLength;
    if (!res.ok || bytes < 4096) throw new Error(`/pull-updates of page ${page}: HTTP ${res.status}, ${bytes} bytes`);
    times.push(performance.now() - t0);
  }
  return median(times);
}
