//! Turso HTTP sync across log compaction: a generation whose frames compaction dropped ends with
//! the 400 `{"generation": current}` reply, so a replica that was in it bootstraps the current
//! generation instead of failing forever (found by the chaos soak, tests/soak).

mod common;

use common::*;

#[tokio::test]
async fn a_compacted_generation_ends_with_the_current_generation() {
    let dir = tempdir();
    let primary = open(&dir, Some(64 * 1024));
    let st = state(primary.clone(), None);
    exec(&st, "CREATE TABLE items (id INTEGER PRIMARY KEY, data BLOB)").await;
    let first = get(&st, "/info", &[]).await.json()["current_generation"].as_u64().unwrap();
    for _ in 0..40 {
        exec(&st, "INSERT INTO items (data) VALUES (randomblob(3000))").await;
    }
    let current = get(&st, "/info", &[]).await.json()["current_generation"].as_u64().unwrap();
    assert!(current > first, "compaction started a new generation ({first} -> {current})");
    let r = get(&st, &format!("/sync/{first}/1/129"), &[]).await;
    assert_eq!((r.status, r.json()["generation"].as_u64()), (400, Some(current)), "{}", r.text());
    // The current generation exports and serves its frames as before.
    assert_eq!(get(&st, &format!("/export/{current}"), &[]).await.status, 200);
}
