//! Client configuration: `@libsql/client`'s `Config`, validated. Decides the client's mode from the
//! URLs (a local database, an embedded replica with `syncUrl`, or remote-only over Hrana) and
//! rejects what this client cannot do with `@libsql/client`'s error codes.
//!
//! The JS shim has already expanded `url` with `@libsql/core`'s `expandConfig` (so every URL
//! error matches `@libsql/client`'s code and message) and hands over the result: `file:PATH` /
//! `:memory:` or an `http:`/`https:` base URL. Only what `expandConfig` does not decide is checked
//! here: `syncUrl`, and this crate's own options.

use crate::error::{Error, Result};
use crate::replica::{ReplicaConfig, DEFAULT_MEMORY_BUDGET};
use crate::sync::bookmark::database_id;
use crate::sync::engine::{ColdStart, EngineSettings, OnStale, PartialMode};
use crate::sync::{ProtocolKind, SyncTarget};

/// Default deadline of one call.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// Default cap on one Hrana answer: sqld's own `--max-response-size` is 10 MB of result data.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 << 20;
/// Default age after which a snapshot is published again (5 minutes).
pub const DEFAULT_SNAPSHOT_MAX_AGE_MS: f64 = 300_000.0;
/// Default number of requests in flight to the primary, as `@libsql/client`.
pub const DEFAULT_CONCURRENCY: u32 = 20;

/// What the user configured (JS `createClient` options, already converted).
#[derive(Clone, Default)]
pub struct ClientConfig {
    /// `file:PATH` / `:memory:` (a local database, or a replica with `sync_url`) or an `http:` /
    /// `https:` URL (remote-only; `libsql:`, `wss:` and `ws:` are read as `https:` / `http:`).
    pub url: String,
    /// The primary to replicate from.
    pub sync_url: Option<String>,
    /// Bearer token for the primary.
    pub auth_token: Option<String>,
    /// Seconds between syncs (checked on each call: edge runtimes run no timers between requests).
    pub sync_interval_s: Option<f64>,
    /// Sync after each write until the write is visible locally (default true).
    pub read_your_writes: Option<bool>,
    /// `sqld`, `http-sync` or `pull-updates`; detected when unset.
    pub sync_protocol: Option<String>,
    /// Replica memory budget in bytes.
    pub memory_budget_bytes: Option<u64>,
    /// Deadline of one call in milliseconds, retries included.
    pub timeout_ms: Option<u32>,
    /// The largest Hrana answer accepted, in bytes.
    pub max_response_bytes: Option<u64>,
    /// At most this many requests to the primary in flight at once (`@libsql/client`'s `concurrency`).
    pub concurrency: Option<u32>,
    /// `"remote"` or `"wait"`: how a cold replica serves its first reads.
    pub cold_start: Option<String>,
    /// The caller gave a `waitUntil` (background work survives the response): `coldStart`
    /// defaults to `"remote"` then, to `"wait"` without.
    pub wait_until: bool,
    /// Default `maxLag` of reads, in ms.
    pub max_lag_ms: Option<f64>,
    /// Default `onStale`: `"sync"`, `"primary"` or `"serve"`.
    pub on_stale: Option<String>,
    /// Names the database in the snapshot store instead of the sync URL.
    pub snapshot_key: Option<String>,
    /// A snapshot older than this is published again, in ms.
    pub snapshot_max_age_ms: Option<f64>,
    /// `partial`: `"true"`, `"false"` or `"auto"`.
    pub partial: Option<String>,
    /// `encryptionKey` was given (not supported).
    pub encryption_key: bool,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("url", &self.url)
            .field("sync_url", &self.sync_url)
            .field("auth_token", &self.auth_token.as_ref().map(|_| "<redacted>"))
            .field("sync_interval_s", &self.sync_interval_s)
            .finish_non_exhaustive()
    }
}

/// The validated configuration.
#[derive(Clone)]
pub struct Settings {
    /// Where writes go (the primary's Hrana URL).
    pub primary_url: String,
    /// Replica mode: where to sync from; `None` in remote-only mode.
    pub sync_url: Option<String>,
    /// Bearer token.
    pub auth_token: Option<String>,
    /// Milliseconds between syncs.
    pub sync_interval_ms: Option<f64>,
    /// Read-your-writes.
    pub read_your_writes: bool,
    /// Forced protocol.
    pub sync_protocol: Option<ProtocolKind>,
    /// Replica memory budget.
    pub memory_budget_bytes: u64,
    /// Deadline of one call, retries included.
    pub timeout_ms: u32,
    /// The largest Hrana answer accepted.
    pub max_response_bytes: u64,
    /// Requests to the primary in flight at once.
    pub concurrency: u32,
    /// How a cold replica serves its first reads.
    pub cold_start: ColdStart,
    /// Default `maxLag`, in ms.
    pub max_lag_ms: Option<f64>,
    /// Default `onStale`.
    pub on_stale: OnStale,
    /// The database's identity in the snapshot store (a hash of `snapshotKey`, else of `syncUrl`).
    pub snapshot_database: u64,
    /// A snapshot older than this is published again, in ms.
    pub snapshot_max_age_ms: f64,
    /// Whether the replica holds only the pages it uses.
    pub partial: PartialMode,
}

impl Settings {
    /// The sync engine's settings, for a replica client.
    pub fn engine_settings(&self) -> Option<EngineSettings> {
        let url = self.sync_url.as_ref()?;
        Some(EngineSettings {
            target: SyncTarget::new(url, self.auth_token.clone(), self.timeout_ms),
            protocol: self.sync_protocol,
            interval_ms: self.sync_interval_ms,
            cold_start: self.cold_start,
            read_your_writes: self.read_your_writes,
            replica: ReplicaConfig { memory_budget_bytes: self.memory_budget_bytes, ..Default::default() },
            timeout_ms: self.timeout_ms,
            partial: self.partial,
        })
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("primary_url", &self.primary_url)
            .field("sync_url", &self.sync_url)
            .field("auth_token", &self.auth_token.as_ref().map(|_| "<redacted>"))
            .field("sync_interval_ms", &self.sync_interval_ms)
            .field("read_your_writes", &self.read_your_writes)
            .field("sync_protocol", &self.sync_protocol)
            .field("memory_budget_bytes", &self.memory_budget_bytes)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("concurrency", &self.concurrency)
            .field("cold_start", &self.cold_start)
            .field("max_lag_ms", &self.max_lag_ms)
            .field("on_stale", &self.on_stale)
            .field("snapshot_database", &self.snapshot_database)
            .field("snapshot_max_age_ms", &self.snapshot_max_age_ms)
            .finish()
    }
}

/// Parses `onStale` (default `"sync"`).
pub fn parse_on_stale(name: Option<&str>) -> Result<OnStale> {
    match name {
        None => Ok(OnStale::default()),
        Some(n) => OnStale::parse(n).ok_or_else(|| {
            invalid("ON_STALE_INVALID", format!("onStale {n:?}: use \"sync\", \"primary\" or \"serve\""))
        }),
    }
}

fn invalid(code: &'static str, message: impl Into<String>) -> Error {
    Error::Config { code, message: message.into() }
}

fn scheme(url: &str) -> Option<&str> {
    url.split_once(':').map(|(s, _)| s)
}

/// `syncUrl` is not expanded by `expandConfig`: it must be a URL with a host on a scheme the sync
/// engine speaks.
fn check_sync_url(url: &str) -> Result<()> {
    match scheme(url) {
        Some("libsql" | "https" | "http" | "wss" | "ws") => {
            let rest = url.split_once("://").map(|(_, r)| r).unwrap_or_default();
            if rest.is_empty() || rest.starts_with('/') {
                return Err(invalid("URL_INVALID", format!("The syncUrl {url:?} has no host")));
            }
            Ok(())
        }
        Some(s) => Err(invalid(
            "URL_SCHEME_NOT_SUPPORTED",
            format!("The syncUrl scheme {s:?} is not supported: use libsql:, https:, http:, wss: or ws:"),
        )),
        None => Err(invalid("URL_INVALID", format!("The syncUrl {url:?} is not a valid URL"))),
    }
}

fn encryption_not_supported() -> Error {
    invalid("ENCRYPTION_KEY_NOT_SUPPORTED", "Encryption keys are not supported by libsql-edge")
}

impl ClientConfig {
    /// Whether `url` names a database in the isolate (`:memory:`, `file:`), not a server.
    fn url_is_local(&self) -> bool {
        self.url == ":memory:" || scheme(&self.url) == Some("file")
    }

    /// The local database this configuration opens (`:memory:` or `file:` without `syncUrl`,
    /// served by `LocalClient`), or `None` for a replica or remote-only client.
    pub fn local_database(&self) -> Result<Option<&str>> {
        if !self.url_is_local() || self.sync_url.is_some() {
            return Ok(None);
        }
        if self.encryption_key {
            return Err(encryption_not_supported());
        }
        Ok(Some(&self.url))
    }

    /// Validates and resolves the configuration of a replica or remote-only client.
    pub fn settings(&self) -> Result<Settings> {
        if self.encryption_key {
            return Err(encryption_not_supported());
        }
        let local = self.url_is_local();
        let (primary_url, sync_url) = match (&self.sync_url, local) {
            (Some(sync), true) => {
                check_sync_url(sync)?;
                (sync.clone(), Some(sync.clone()))
            }
            (None, false) => (self.url.clone(), None),
            (Some(_), false) => {
                return Err(invalid(
                    "URL_INVALID",
                    "An embedded replica needs a file: or :memory: url next to syncUrl",
                ));
            }
            (None, true) => {
                return Err(invalid(
                    "URL_SCHEME_NOT_SUPPORTED",
                    "A local database without syncUrl is a LocalClient, not a Client",
                ));
            }
        };
        let sync_protocol = match &self.sync_protocol {
            None => None,
            Some(name) => Some(ProtocolKind::parse(name).ok_or_else(|| {
                invalid("SYNC_PROTOCOL_INVALID", format!("syncProtocol {name:?}: use sqld, http-sync or pull-updates"))
            })?),
        };
        let sync_interval_ms = match self.sync_interval_s {
            Some(s) if !(s.is_finite() && s >= 0.0) => {
                return Err(invalid("SYNC_INTERVAL_INVALID", format!("syncInterval {s} is not a number of seconds")));
            }
            Some(s) => Some(s * 1000.0),
            None => None,
        };
        let sync_url_text = sync_url.clone().unwrap_or_else(|| primary_url.clone());
        Ok(Settings {
            primary_url,
            sync_url,
            auth_token: self.auth_token.clone().filter(|t| !t.is_empty()),
            sync_interval_ms,
            read_your_writes: self.read_your_writes.unwrap_or(true),
            sync_protocol,
            memory_budget_bytes: self.memory_budget_bytes.unwrap_or(DEFAULT_MEMORY_BUDGET),
            timeout_ms: self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            max_response_bytes: self.max_response_bytes.unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            concurrency: match self.concurrency {
                Some(0) => return Err(invalid("CONCURRENCY_INVALID", "concurrency must be at least 1")),
                Some(n) => n,
                None => DEFAULT_CONCURRENCY,
            },
            cold_start: match self.cold_start.as_deref() {
                None if self.wait_until => ColdStart::Remote,
                None => ColdStart::Wait,
                Some("remote") => ColdStart::Remote,
                Some("wait") => ColdStart::Wait,
                Some(other) => {
                    return Err(invalid(
                        "COLD_START_INVALID",
                        format!("coldStart {other:?}: use \"remote\" or \"wait\""),
                    ))
                }
            },
            max_lag_ms: match self.max_lag_ms {
                Some(ms) if !(ms.is_finite() && ms >= 0.0) => {
                    return Err(invalid("MAX_LAG_INVALID", format!("maxLag {ms} is not a number of milliseconds")))
                }
                ms => ms,
            },
            on_stale: parse_on_stale(self.on_stale.as_deref())?,
            snapshot_database: database_id(self.snapshot_key.as_deref().unwrap_or(&sync_url_text)),
            snapshot_max_age_ms: match self.snapshot_max_age_ms {
                Some(ms) if !(ms.is_finite() && ms >= 0.0) => {
                    return Err(invalid(
                        "SNAPSHOT_MAX_AGE_INVALID",
                        format!("snapshotMaxAgeMs {ms} is not a number of milliseconds"),
                    ))
                }
                Some(ms) => ms,
                None => DEFAULT_SNAPSHOT_MAX_AGE_MS,
            },
            partial: match self.partial.as_deref() {
                None => PartialMode::Off,
                Some(text) => PartialMode::parse(text).ok_or_else(|| {
                    invalid("PARTIAL_INVALID", format!("partial {text:?}: use true, false or \"auto\""))
                })?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn config(url: &str, sync_url: Option<&str>) -> ClientConfig {
        ClientConfig { url: url.into(), sync_url: sync_url.map(Into::into), ..Default::default() }
    }

    #[test]
    fn modes_and_url_errors_use_libsql_client_codes() {
        let s = config("file:app.db", Some("libsql://db.example.com")).settings().unwrap();
        assert_eq!(s.sync_url.as_deref(), Some("libsql://db.example.com"));
        assert!(s.read_your_writes);
        let s = config("https://db.example.com", None).settings().unwrap();
        assert_eq!(s.sync_url, None);
        let code = |c: ClientConfig| c.settings().unwrap_err().code().to_string();
        assert_eq!(code(config("file:app.db", None)), "URL_SCHEME_NOT_SUPPORTED");
        assert_eq!(config("file:app.db", None).local_database().unwrap(), Some("file:app.db"));
        assert_eq!(config(":memory:", None).local_database().unwrap(), Some(":memory:"));
        assert_eq!(config("file:app.db", Some("http://x")).local_database().unwrap(), None);
        assert_eq!(config("http://x", None).local_database().unwrap(), None);
        assert_eq!(code(config(":memory:", Some("gopher://x"))), "URL_SCHEME_NOT_SUPPORTED");
        assert_eq!(code(config(":memory:", Some("libsql://"))), "URL_INVALID");
        let mut c = config(":memory:", None);
        c.encryption_key = true;
        assert_eq!(c.local_database().unwrap_err().code(), "ENCRYPTION_KEY_NOT_SUPPORTED");
        let mut c = config(":memory:", Some("http://127.0.0.1:1"));
        c.encryption_key = true;
        assert_eq!(code(c), "ENCRYPTION_KEY_NOT_SUPPORTED");
        let mut c = config(":memory:", Some("http://127.0.0.1:1"));
        c.sync_protocol = Some("carrier-pigeon".into());
        assert_eq!(code(c), "SYNC_PROTOCOL_INVALID");
        let mut c = config(":memory:", Some("http://127.0.0.1:1"));
        c.sync_interval_s = Some(-1.0);
        assert_eq!(code(c), "SYNC_INTERVAL_INVALID");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let c = ClientConfig {
            auth_token: Some("secret-token-value".into()),
            ..config(":memory:", Some("http://127.0.0.1:1"))
        };
        assert!(!format!("{c:?}").contains("secret-token-value"));
        assert!(!format!("{:?}", c.settings().unwrap()).contains("secret-token-value"));
        let client = crate::Client::new(&c).unwrap();
        assert!(!format!("{client:?}").contains("secret-token-value"));
    }
}
