// Minimal assertions shared by the runtime suites (no test-framework dependency).

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x instanceof ArrayBuffer ? [...new Uint8Array(x)] : x));
}

export function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  if (show(actual) !== show(expected) || typeof actual !== typeof expected) {
    throw new Error(`${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Runs `f` and returns what it threw; fails if it did not throw. */
export async function assertThrows(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, none was thrown");
}
