// Config expansion exactly as @libsql/client does it, so every URL error has its code and message:
// @libsql/core's expandConfig (URL syntax, query parameters, tls, intMode), then the checks
// @libsql/client's per-scheme clients run (TLS against the scheme, a remote encryptionKey, a file:
// URL's authority, an in-memory URL with syncUrl). The result is what the wasm side takes: `url` as
// `file:PATH` or an http(s) base URL (libsql: means https:, or http: with ?tls=0; ws:/wss: are
// spoken as http:/https:), with authToken and concurrency filled in.
import { LibsqlError } from "@libsql/core/api";
import type { Config, IntMode } from "@libsql/core/api";
import { expandConfig, isInMemoryConfig } from "@libsql/core/config";
import { encodeBaseUrl } from "@libsql/core/uri";
import { supportedUrlLink } from "@libsql/core/util";

export interface Expanded {
  /** The options the wasm side reads (see src/wasm/open.rs and src/wasm/client.rs). */
  wasm: Record<string, unknown>;
  intMode: IntMode;
}

export function expand(config: Config): Expanded {
  const c = expandConfig(config, true);
  let url: string;
  if (c.scheme === "file") {
    const authority = c.authority;
    if (authority !== undefined) {
      const host = authority.host.toLowerCase();
      if (host !== "" && host !== "localhost") {
        throw new LibsqlError(
          `Invalid host in file URL: ${JSON.stringify(authority.host)}. ` +
            'A "file:" URL with an absolute path should start with one slash ("file:/absolute/path.db") ' +
            'or with three slashes ("file:///absolute/path.db"). ' +
            `For more information, please read ${supportedUrlLink}`,
          "URL_INVALID",
        );
      }
      if (authority.port !== undefined) throw new LibsqlError("File URL cannot have a port", "URL_INVALID");
      if (authority.userinfo !== undefined) throw new LibsqlError("File URL cannot have username and password", "URL_INVALID");
    }
    if (isInMemoryConfig(c) && c.syncUrl) {
      throw new LibsqlError(
        `Embedded replica must use file for local db but URI with in-memory mode were provided instead: ${c.path}`,
        "URL_INVALID",
      );
    }
    url = `file:${c.path}`;
  } else {
    const ws = c.scheme === "ws" || c.scheme === "wss";
    const plain = c.scheme === "http" || c.scheme === "ws";
    if (c.encryptionKey !== undefined) {
      throw new LibsqlError("Encryption key is not supported by the remote client.", "ENCRYPTION_KEY_NOT_SUPPORTED");
    }
    if (plain && c.tls) {
      throw new LibsqlError(`A "${c.scheme}:" URL cannot opt into TLS by using ?tls=1`, "URL_INVALID");
    } else if (!plain && !c.tls) {
      throw new LibsqlError(`A "${c.scheme}:" URL cannot opt out of TLS by using ?tls=0`, "URL_INVALID");
    }
    const scheme = ws ? (plain ? "http" : "https") : c.scheme;
    url = encodeBaseUrl(scheme, c.authority, c.path).toString();
  }
  const wasm = { ...config, url, authToken: c.authToken, concurrency: c.concurrency };
  return { wasm, intMode: c.intMode };
}
