// Positions never go backwards within one history: a tracker per replica client, fed with
// `client.position` sampled synchronously at many points of the isolate's single thread (so the
// samples are ordered in time, whatever order the requests finish in).
//
// What a history is, per protocol (README "Consistency at the edge"):
//   sqld:<log_id>/<frame_no>   a history per log_id; frame_no never decreases within it, and a log_id
//                              left behind never comes back;
//   http:<generation>/<frame>  one history: (generation, frame) never decreases (a later generation
//                              covers earlier ones); each generation change is counted;
//   rev:<revision>             decimal revisions (tursodb) never decrease, except across a tursodb
//                              restart the driver announced (`epoch`), which starts a new history.
// A replica that had a position never goes back to none (a wasm trap would, and is reported apart).

interface Parsed {
  /** The history the position belongs to. */
  history: string;
  /** Compared lexicographically within the history. */
  key: number[];
}

function parse(position: string): Parsed | string {
  let m = /^sqld:([^/]+)\/(\d+)$/.exec(position);
  if (m) return { history: `sqld:${m[1]}`, key: [Number(m[2])] };
  m = /^http:(\d+)\/(\d+)$/.exec(position);
  if (m) return { history: "http", key: [Number(m[1]), Number(m[2])] };
  m = /^rev:(\d+)$/.exec(position);
  if (m) return { history: "rev", key: [Number(m[1])] };
  return `unparsable position ${position}`;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface HistoryReport {
  samples: number;
  /** Distinct positions seen, in order. */
  moves: number;
  /** Histories begun (the first one included). */
  histories: number;
  /** HTTP-sync generation changes. */
  generations: number;
  last: string | null;
}

export class History {
  private last: string | null = null;
  private lastParsed: Parsed | null = null;
  private lastEpoch = 0;
  private left = new Set<string>();
  readonly report: HistoryReport = { samples: 0, moves: 0, histories: 0, generations: 0, last: null };

  constructor(private readonly name: string) {}

  /** Records one sample; returns a violation, or null. `epoch` counts announced restarts of the
   * primary that may move revisions back. */
  observe(position: string | null, epoch: number, where: string): string | null {
    this.report.samples++;
    if (position === this.last) return null;
    const before = this.last;
    const beforeParsed = this.lastParsed;
    const epochBefore = this.lastEpoch;
    this.last = position;
    this.report.last = position;
    this.lastEpoch = epoch;
    this.report.moves++;
    if (position === null) {
      this.lastParsed = null;
      return `${this.name} ${where}: position went from ${before} back to none`;
    }
    const parsed = parse(position);
    if (typeof parsed === "string") return `${this.name} ${where}: ${parsed}`;
    this.lastParsed = parsed;
    if (beforeParsed === null) {
      this.report.histories++;
      return null;
    }
    if (parsed.history !== beforeParsed.history) {
      this.left.add(beforeParsed.history);
      if (this.left.has(parsed.history)) {
        return `${this.name} ${where}: position ${position} returns to a history left before (${before})`;
      }
      this.report.histories++;
      return null;
    }
    if (parsed.history === "http" && parsed.key[0] !== beforeParsed.key[0]) this.report.generations++;
    if (compare(parsed.key, beforeParsed.key) >= 0) return null;
    if (parsed.history === "rev" && epoch > epochBefore) {
      this.report.histories++;
      return null;
    }
    return `${this.name} ${where}: position went backwards from ${before} to ${position}`;
  }
}
