//! `libsql-edge-primary`: the dev primary's command line.
//!
//! `libsql-edge-primary --db DIR --listen 127.0.0.1:PORT [--auth-jwt-key-file FILE]
//! [--max-log-size MB] [--checkpoint-frames N] [--seed FILE.sql] [--no-http-sync] [--namespaces]
//! [-- CMD ARGS...]`
//!
//! The first line of stdout is the server URL (useful with port 0). With `-- CMD`, runs CMD with
//! `PRIMARY_URL` set, stops the server and exits with CMD's exit code.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use libsql_edge_dev_primary::{app, app_with_namespaces, auth::JwtAuth, Namespaces, Primary, PrimaryOptions, Shared};

#[derive(Debug, Parser)]
#[command(name = "libsql-edge-primary", version, about = "Local sqld-compatible primary for libsql-edge")]
struct Cli {
    /// Data directory (created if missing).
    #[arg(long)]
    db: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Ed25519 public key (PEM or raw base64url): require `Authorization: Bearer <JWT>`.
    #[arg(long)]
    auth_jwt_key_file: Option<PathBuf>,
    /// Compact the replication log into a snapshot past this many megabytes.
    #[arg(long)]
    max_log_size: Option<u64>,
    /// Checkpoint (start a new HTTP-sync generation) after this many frames (default 4096).
    #[arg(long)]
    checkpoint_frames: Option<u64>,
    /// SQL script loaded into an empty database at start.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Answer `/info`, `/export`, `/sync` with 404 like sqld (native clients then use gRPC).
    #[arg(long)]
    no_http_sync: bool,
    /// Also serve `/ns/{name}/...` from database `name` (opened on first use under `DIR/ns/name/`,
    /// with the options above; `--seed` applies to the default database only).
    #[arg(long)]
    namespaces: bool,
    /// Command to run against the server (wrapper mode).
    #[arg(last = true)]
    command: Vec<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("libsql-edge-primary: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error + Send + Sync>> {
    let auth = match &cli.auth_jwt_key_file {
        Some(path) => Some(JwtAuth::from_key_text(&std::fs::read_to_string(path)?)?),
        None => None,
    };
    let mut opts = PrimaryOptions::new(&cli.db);
    opts.max_log_size = cli.max_log_size.map(|mb| mb * 1024 * 1024);
    if let Some(n) = cli.checkpoint_frames {
        opts.checkpoint_frames = n;
    }
    let namespaces = cli.namespaces.then(|| Namespaces::new(opts.clone(), auth.clone(), !cli.no_http_sync));
    let primary = tokio::task::spawn_blocking(move || Primary::open(opts)).await??;
    if let Some(seed) = &cli.seed {
        let sql = std::fs::read_to_string(seed)?;
        let p = primary.clone();
        tokio::task::spawn_blocking(move || -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            if p.replication_index().is_none() {
                let conn = p.connect()?;
                {
                    let _gate = p.gate();
                    conn.execute_batch(&sql)?;
                }
                p.capture()?;
            }
            Ok(())
        })
        .await??;
    }
    let listener = tokio::net::TcpListener::bind(&cli.listen).await?;
    let url = format!("http://{}", listener.local_addr()?);
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{url}")?;
        out.flush()?;
    }
    let state = Shared::new(primary.clone(), auth, !cli.no_http_sync);
    let router = match &namespaces {
        Some(ns) => app_with_namespaces(state, ns.clone()),
        None => app(state),
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });
    let code = if let Some((cmd, args)) = cli.command.split_first() {
        let status = tokio::process::Command::new(cmd).args(args).env("PRIMARY_URL", &url).status().await;
        match status {
            Ok(s) => ExitCode::from(s.code().unwrap_or(1).clamp(0, 255) as u8),
            Err(e) => {
                eprintln!("libsql-edge-primary: cannot run {cmd}: {e}");
                ExitCode::from(127)
            }
        }
    } else {
        shutdown_signal().await;
        ExitCode::SUCCESS
    };
    let _ = stop_tx.send(());
    // Streaming responses (LogEntries) may hold the server open; do not wait for them forever.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), server).await;
    let p = primary.clone();
    tokio::task::spawn_blocking(move || p.shutdown()).await??;
    if let Some(ns) = namespaces {
        tokio::task::spawn_blocking(move || ns.shutdown()).await??;
    }
    Ok(code)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
