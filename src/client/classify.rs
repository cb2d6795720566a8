//! Whether a statement the replica cannot prepare (it does not have the table yet, or the SQL is
//! wrong) may write: a scan of its keywords, outside string literals, quoted identifiers and
//! comments. It errs towards "may write" (an extra catch-up after the statement), never the other
//! way: every statement that writes names one of these keywords.

/// Keywords of statements that change the database or the connection's transaction state.
const WRITE_KEYWORDS: [&str; 19] = [
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "UPSERT",
    "CREATE",
    "DROP",
    "ALTER",
    "VACUUM",
    "REINDEX",
    "ANALYZE",
    "ATTACH",
    "DETACH",
    "PRAGMA",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
];

/// Whether `sql` contains a write keyword as a bare word.
pub fn may_write(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' | b'`' => i = skip_quoted(bytes, i, c),
            b'[' => i = skip_quoted(bytes, i, b']'),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = bytes[i..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |n| i + n + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = bytes[i + 2..].windows(2).position(|w| w == b"*/").map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$') {
                    i += 1;
                }
                let word = &sql[start..i];
                if WRITE_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) {
                    return true;
                }
            }
            _ => i += 1,
        }
    }
    false
}

/// The index just past the quoted run that starts at `start` and ends with `close` (a doubled
/// closing character is an escaped one).
fn skip_quoted(bytes: &[u8], start: usize, close: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == close {
            if bytes.get(i + 1) == Some(&close) && close != b']' {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn writes_are_recognised_and_reads_are_not() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "with x as (select 1) insert into t select * from x",
            "  update t set a = 1",
            "CREATE TABLE t (x)",
            "PRAGMA user_version = 3",
            "select 1; delete from t",
            "REPLACE INTO t VALUES (1)",
        ] {
            assert!(may_write(sql), "{sql}");
        }
        for sql in [
            "SELECT * FROM t",
            "select 'insert into t' as s from t",
            "SELECT \"update\" FROM t -- delete\n",
            "SELECT [drop], `create` FROM t /* insert */ WHERE x = 'it''s'",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "SELECT updated_at, deleted FROM t",
            "VALUES (1), (2)",
        ] {
            assert!(!may_write(sql), "{sql}");
        }
    }

    #[test]
    fn unterminated_quotes_and_comments_end_the_scan() {
        assert!(!may_write("SELECT 'unterminated insert"));
        assert!(!may_write("SELECT 1 /* insert"));
        assert!(!may_write("SELECT 1 -- insert"));
    }
}
