//! The report's section on cold starts with `coldStart: "remote"`: a new isolate's first row (read
//! from the primary while the replica bootstraps in the background) next to `@libsql/client/web`'s,
//! and how long until reads turn local (the `edge-<db>-remote*` cases of bench:workerd's cold-start
//! records, which carry `toLocalMs`).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::data::{self, median};
use crate::plot::Bar;
use crate::{bar_figure, net_name, BarFigure, Res};

/// The median of a case's samples under `key` (`spawnMs`, `requestMs`), NaN when absent.
fn med(case: &Value, key: &str) -> f64 {
    median(&data::floats(&case[key]))
}

pub fn section(recs: &[&Value], out: &Path, md: &mut String) -> Res<()> {
    let with_remote =
        |rec: &&&Value| rec["cases"].as_array().is_some_and(|cs| cs.iter().any(|c| c["toLocalMs"].is_object()));
    let recs: Vec<&Value> = recs.iter().filter(with_remote).copied().collect();
    let Some(first) = recs.first() else { return Ok(()) };
    writeln!(md, "### Cold start with `coldStart: \"remote\"`\n")?;
    writeln!(
        md,
        "A new isolate whose client has `coldStart: \"remote\"` and `waitUntil`: its first read goes to the primary \
         over Hrana while the replica bootstraps in the background, so the first row costs the wasm instantiation \
         plus one round trip, next to `@libsql/client/web`'s one request (ratio: edge / web, spawn → row; 'in \
         Worker': handler start to the row, edge / web, by the Worker's 1 ms clock). 'Reads local': after the \
         first result the driver polls the isolate's `client.stats()` every ~1 ms, without a query until the \
         replica is installed, then with one read until the replica serves it; measured from spawning the \
         process, from sending the first request, and from its result.\n"
    )?;
    writeln!(
        md,
        "| network | case | first row, spawn → row | web | edge / web | in Worker, edge / web | reads local, from spawn | from 1st request | after 1st row |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|")?;
    let mut items = Vec::new();
    for (i, rec) in recs.iter().enumerate() {
        let net = rec["networkLabel"].as_str().unwrap_or("?");
        let cases = rec["cases"].as_array().cloned().unwrap_or_default();
        let find = |key: &str| cases.iter().find(|c| c["key"] == key);
        for c in cases.iter().filter(|c| c["toLocalMs"].is_object()) {
            let label = c["label"].as_str().unwrap_or("?");
            let db = c["db"].as_str().unwrap_or("?");
            let Some(web) = find(&format!("web-{db}")) else { continue };
            let (edge_ms, web_ms) = (med(c, "spawnMs"), med(web, "spawnMs"));
            let local = |k: &str| median(&data::floats(&c["toLocalMs"][k]));
            writeln!(
                md,
                "| {net} | {label} | {} | {} | {:.2}x | {} / {} | {} | {} | {} |",
                data::ms(edge_ms),
                data::ms(web_ms),
                edge_ms / web_ms,
                data::ms(med(c, "workerMs")),
                data::ms(med(web, "workerMs")),
                data::ms(local("spawn")),
                data::ms(local("request")),
                data::ms(local("result"))
            )?;
            let tag = net_name(rec);
            items.push(Bar { label: format!("{label}: first row, {tag}"), value: edge_ms, color: 2 * i });
            items.push(Bar { label: format!("{label}: reads local, {tag}"), value: local("spawn"), color: 2 * i + 1 });
        }
    }
    writeln!(md)?;
    let figure = BarFigure {
        file: "cold-remote.svg",
        title: "coldStart remote: first row and reads local, from process spawn (median)",
        unit: "ms",
        alt: "coldStart remote: first row and time until reads are local",
    };
    bar_figure(md, out, first, figure, &items)
}
