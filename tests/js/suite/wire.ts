// Test doubles for what a test must control and never time: `Wire` wraps a runtime's real fetch
// (requests still reach the real primary) to count requests and response bytes and to hold chosen
// requests until released (the held request waits on its own short timers, as a slow network
// would, and honours its abort signal); `ManualClock` is a clock the test moves; `Background`
// collects what a client hands to `waitUntil`.

/** Resolves after `ms` milliseconds of the runtime's own timers. */
export function tick(ms = 2): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` on the runtime's timers until it holds (bounded, so a broken test fails
 * instead of hanging). */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (condition()) return;
    await tick();
  }
  throw new Error(`never happened: ${what}`);
}

/** Whether a URL is a sync request (not Hrana). */
export function isSync(url: string): boolean {
  return !/\/v[23]\/pipeline$/.test(new URL(url).pathname);
}

export class Wire {
  requests = 0;
  syncRequests = 0;
  bytes = 0;
  syncBytes = 0;
  held = 0;
  /** Request paths in order, for failure messages. */
  readonly paths: string[] = [];
  private holding: ((url: string) => boolean) | undefined;

  constructor(private readonly base: (request: Request) => Promise<Response>) {}

  /** Holds every request matching `match` (all sync requests by default) until `release`. */
  hold(match: (url: string) => boolean = isSync): void {
    this.holding = match;
  }

  release(): void {
    this.holding = undefined;
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const sync = isSync(request.url);
    this.requests++;
    this.paths.push(new URL(request.url).pathname);
    if (sync) this.syncRequests++;
    if (this.holding?.(request.url)) {
      this.held++;
      try {
        while (this.holding?.(request.url)) {
          if (request.signal.aborted) throw new DOMException("The operation was aborted", "AbortError");
          await tick();
        }
      } finally {
        this.held--;
      }
    }
    const response = await this.base(request);
    if (response.body === null) return response;
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, controller) => {
        this.bytes += chunk.byteLength;
        if (sync) this.syncBytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(counter), { status: response.status, headers: response.headers });
  };
}

export class ManualClock {
  constructor(public now = 1_000_000) {}
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export class Background {
  readonly tasks: Promise<unknown>[] = [];
  readonly waitUntil = (promise: Promise<unknown>): void => {
    this.tasks.push(promise);
  };
  /** Waits for everything handed over so far. */
  async settle(): Promise<void> {
    while (this.tasks.length > 0) await Promise.all(this.tasks.splice(0));
  }
}
