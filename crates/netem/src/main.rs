//! `libsql-edge-netem`: the shaping and fault-injecting proxy's command line.
//!
//! `libsql-edge-netem --upstream http://127.0.0.1:PORT [--listen 127.0.0.1:0] [--rtt-ms 40]
//! [--bandwidth-mbit 100] [--jitter-ms J] [--seed S] [--fault 'kind=drop after=100 every=3']...
//! [-- CMD ARGS...]`
//!
//! The first line of stdout is the proxy's URL (useful with port 0). With `-- CMD`, runs CMD with
//! `NETEM_URL` set, stops the proxy and exits with CMD's exit code.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use libsql_edge_netem::{start, Config, Rule, Shape};

#[derive(Debug, Parser)]
#[command(name = "libsql-edge-netem", version, about = "Shaping and fault-injecting loopback HTTP/1.1 proxy")]
struct Cli {
    /// Where requests go: http://host:port.
    #[arg(long)]
    upstream: String,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Round trip added to every request/response exchange (half each way), in milliseconds.
    #[arg(long, default_value_t = 0.0)]
    rtt_ms: f64,
    /// Body bandwidth per direction in Mbit/s; 0 = unlimited.
    #[arg(long, default_value_t = 0.0)]
    bandwidth_mbit: f64,
    /// Up to this many milliseconds of random delay added to each one-way delay (default none).
    #[arg(long, default_value_t = 0.0)]
    jitter_ms: f64,
    /// Seed of the jitter generator.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// A fault rule (`kind=… key=value…`, see the crate docs); repeatable, tried in order.
    #[arg(long = "fault", value_parser = parse_rule)]
    faults: Vec<Rule>,
    /// Command to run against the proxy (wrapper mode).
    #[arg(last = true)]
    command: Vec<String>,
}

fn parse_rule(text: &str) -> Result<Rule, String> {
    Rule::parse_text(text).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("libsql-edge-netem: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error + Send + Sync>> {
    let listener = tokio::net::TcpListener::bind(&cli.listen).await?;
    let shape =
        Shape { rtt_ms: cli.rtt_ms, bandwidth_mbit: cli.bandwidth_mbit, jitter_ms: cli.jitter_ms, seed: cli.seed };
    let running = start(listener, Config { upstream: cli.upstream, shape, rules: cli.faults })?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", running.url)?;
        out.flush()?;
    }
    let code = if let Some((cmd, args)) = cli.command.split_first() {
        match tokio::process::Command::new(cmd).args(args).env("NETEM_URL", &running.url).status().await {
            Ok(s) => ExitCode::from(s.code().unwrap_or(1).clamp(0, 255) as u8),
            Err(e) => {
                eprintln!("libsql-edge-netem: cannot run {cmd}: {e}");
                ExitCode::from(127)
            }
        }
    } else {
        shutdown_signal().await;
        ExitCode::SUCCESS
    };
    drop(running);
    Ok(code)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
            let _ = ctrl_c.await;
            return;
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
