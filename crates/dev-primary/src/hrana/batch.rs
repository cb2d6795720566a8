//! Hrana batches: steps with conditions on earlier steps, run in order on one connection.

use std::collections::HashMap;

use libsql_edge_protocol::hrana::{Batch, BatchCond, BatchResult, Error as HranaError, StmtResult};
use rusqlite::Connection;

use super::exec::{execute_stmt, ExecError};

fn eval(cond: &BatchCond, results: &[Option<StmtResult>], errors: &[Option<HranaError>], conn: &Connection) -> bool {
    let step = |s: u32| s as usize;
    match cond {
        BatchCond::Ok { step: s } => results.get(step(*s)).is_some_and(Option::is_some),
        BatchCond::Error { step: s } => errors.get(step(*s)).is_some_and(Option::is_some),
        BatchCond::Not { cond } => !eval(cond, results, errors, conn),
        BatchCond::And { conds } => conds.iter().all(|c| eval(c, results, errors, conn)),
        BatchCond::Or { conds } => conds.iter().any(|c| eval(c, results, errors, conn)),
        BatchCond::IsAutocommit => conn.is_autocommit(),
    }
}

/// Runs a batch; `run_step` wraps each statement (gate + capture). Step errors land in
/// `step_errors`; protocol / auth failures abort the whole batch.
pub fn execute_batch(
    conn: &Connection,
    batch: &Batch,
    stored: &HashMap<i32, String>,
    read_only: bool,
    mut around: impl FnMut(&mut dyn FnMut() -> Result<StmtResult, ExecError>) -> Result<StmtResult, ExecError>,
) -> Result<BatchResult, ExecError> {
    let n = batch.steps.len();
    let mut results: Vec<Option<StmtResult>> = Vec::with_capacity(n);
    let mut errors: Vec<Option<HranaError>> = Vec::with_capacity(n);
    for (i, step) in batch.steps.iter().enumerate() {
        if let Some(cond) = &step.condition {
            if !eval(cond, &results, &errors, conn) {
                results.push(None);
                errors.push(None);
                continue;
            }
        }
        let _ = i;
        match around(&mut || execute_stmt(conn, &step.stmt, stored, read_only)) {
            Ok(r) => {
                results.push(Some(r));
                errors.push(None);
            }
            Err(ExecError::Stmt(e)) => {
                results.push(None);
                errors.push(Some(e));
            }
            Err(other) => return Err(other),
        }
    }
    Ok(BatchResult { step_results: results, step_errors: errors, replication_index: None })
}
