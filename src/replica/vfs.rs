//! The `libsql-edge` SQLite VFS: serves each replica's main database file from its `PageStore`,
//! and every other file SQLite asks for (journals, temp databases) from memory. The main file is
//! read-only to SQLite; pages change only through `PageStore::install`. Locks are no-ops: the
//! replica has one connection, and SQLite notices installed pages through header offset 24 at the
//! start of each read transaction. Time and randomness are delegated to SQLite's default VFS. A
//! replica's file is opened once, by its own connection: no other connection (an ATTACH, a URI
//! filename naming this VFS) can open another tenant's replica.
//!
//! Everything here runs inside SQLite callbacks: no panics, every failure is an SQLite result code.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rusqlite::ffi;

use super::page_store::{PageStore, ReadOutcome};

/// The name the VFS is registered under.
pub const VFS_NAME: &str = "libsql-edge";
const VFS_NAME_C: &CStr = c"libsql-edge";

/// A page store shared between its `Replica` and the VFS.
pub type SharedStore = Arc<Mutex<PageStore>>;

/// Locks a mutex, ignoring poisoning: no code path panics while holding these locks, and a page
/// store is always whole (installs are infallible), so a poisoned guard still holds valid data.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn registry() -> &'static Mutex<BTreeMap<String, SharedStore>> {
    static REGISTRY: OnceLock<Mutex<BTreeMap<String, SharedStore>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Offers `store` as the main database file called `name` to the next open of that name on this
/// VFS, which takes it: a file is opened once, by its replica's own connection.
pub fn attach(name: &str, store: SharedStore) {
    lock(registry()).insert(name.to_string(), store);
}

/// Withdraws an offer that no open took. Connections already open keep their handle to the store.
pub fn detach(name: &str) {
    lock(registry()).remove(name);
}

/// Registers the VFS with SQLite once per process; returns SQLite's result code on failure.
pub fn ensure_registered() -> Result<(), c_int> {
    static REGISTERED: OnceLock<c_int> = OnceLock::new();
    let rc = *REGISTERED.get_or_init(|| unsafe {
        // SAFETY: sqlite3_vfs_find(NULL) initialises SQLite and returns the default VFS, which lives
        // for the whole process. The leaked VFS struct is 'static as SQLite requires.
        let base = ffi::sqlite3_vfs_find(std::ptr::null());
        if base.is_null() {
            return ffi::SQLITE_ERROR;
        }
        let vfs = Box::leak(Box::new(ffi::sqlite3_vfs {
            iVersion: 2,
            szOsFile: std::mem::size_of::<File>() as c_int,
            mxPathname: 512,
            pNext: std::ptr::null_mut(),
            zName: VFS_NAME_C.as_ptr(),
            pAppData: base.cast(),
            xOpen: Some(x_open),
            xDelete: Some(x_delete),
            xAccess: Some(x_access),
            xFullPathname: Some(x_full_pathname),
            xDlOpen: None,
            xDlError: None,
            xDlSym: None,
            xDlClose: None,
            xRandomness: Some(x_randomness),
            xSleep: Some(x_sleep),
            xCurrentTime: Some(x_current_time),
            xGetLastError: Some(x_get_last_error),
            xCurrentTimeInt64: Some(x_current_time_int64),
            xSetSystemCall: None,
            xGetSystemCall: None,
            xNextSystemCall: None,
        }));
        ffi::sqlite3_vfs_register(vfs, 0)
    });
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rc)
    }
}

/// What an open file is backed by.
enum Backing {
    /// A replica's database file.
    Main(SharedStore),
    /// Any other file (journal, temp database, sub-journal), private to this handle.
    Memory(Vec<u8>),
}

/// SQLite's per-file struct: the `sqlite3_file` base must come first.
#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    backing: *mut Backing,
}

static IO_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_lock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

unsafe fn backing<'a>(file: *mut ffi::sqlite3_file) -> &'a mut Backing {
    // SAFETY: SQLite only passes files that x_open initialised (pMethods set), whose `backing` is a
    // live Box until x_close.
    &mut *(*file.cast::<File>()).backing
}

unsafe extern "C" fn x_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let file = file.cast::<File>();
    (*file).base.pMethods = std::ptr::null();
    let backing = if flags & ffi::SQLITE_OPEN_MAIN_DB != 0 {
        let name = if name.is_null() { None } else { CStr::from_ptr(name).to_str().ok() };
        match name.and_then(|n| lock(registry()).remove(n)) {
            Some(store) => Backing::Main(store),
            None => return ffi::SQLITE_CANTOPEN,
        }
    } else {
        Backing::Memory(Vec::new())
    };
    (*file).backing = Box::into_raw(Box::new(backing));
    (*file).base.pMethods = &IO_METHODS;
    if !out_flags.is_null() {
        *out_flags = flags;
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_close(file: *mut ffi::sqlite3_file) -> c_int {
    let file = file.cast::<File>();
    drop(Box::from_raw((*file).backing));
    (*file).backing = std::ptr::null_mut();
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_read(file: *mut ffi::sqlite3_file, buf: *mut c_void, amount: c_int, offset: i64) -> c_int {
    let out = std::slice::from_raw_parts_mut(buf.cast::<u8>(), amount.max(0) as usize);
    let outcome = match backing(file) {
        Backing::Main(store) => lock(store).read_at(out, offset as u64),
        Backing::Memory(data) => {
            let start = (offset as usize).min(data.len());
            let n = out.len().min(data.len() - start);
            out[..n].copy_from_slice(&data[start..start + n]);
            out[n..].fill(0);
            if n == out.len() {
                ReadOutcome::Whole
            } else {
                ReadOutcome::Short
            }
        }
    };
    match outcome {
        ReadOutcome::Whole => ffi::SQLITE_OK,
        ReadOutcome::Short => ffi::SQLITE_IOERR_SHORT_READ,
        ReadOutcome::Missing => MISSING_PAGE_RC,
    }
}

/// What a read of a page a partial store lacks returns. Not an I/O error: SQLite answers those by
/// rolling back the whole transaction, and a miss inside a read transaction must end only the
/// statement (which is re-run once the page is fetched). Not SQLITE_IOERR_SHORT_READ, which SQLite
/// turns into a page of zeros, nor SQLITE_CORRUPT, after which the transaction's COMMIT fails
/// (both observed on SQLite 3.54). The store records which pages were missing.
const MISSING_PAGE_RC: c_int = ffi::SQLITE_ABORT;

unsafe extern "C" fn x_write(file: *mut ffi::sqlite3_file, buf: *const c_void, amount: c_int, offset: i64) -> c_int {
    match backing(file) {
        Backing::Main(_) => ffi::SQLITE_READONLY,
        Backing::Memory(data) => {
            let input = std::slice::from_raw_parts(buf.cast::<u8>(), amount.max(0) as usize);
            let end = offset as usize + input.len();
            if data.len() < end {
                data.resize(end, 0);
            }
            data[offset as usize..end].copy_from_slice(input);
            ffi::SQLITE_OK
        }
    }
}

unsafe extern "C" fn x_truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    match backing(file) {
        Backing::Main(_) => ffi::SQLITE_READONLY,
        Backing::Memory(data) => {
            data.truncate(size.max(0) as usize);
            ffi::SQLITE_OK
        }
    }
}

unsafe extern "C" fn x_sync(_file: *mut ffi::sqlite3_file, _flags: c_int) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    *size = match backing(file) {
        Backing::Main(store) => lock(store).file_size() as i64,
        Backing::Memory(data) => data.len() as i64,
    };
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_lock(_file: *mut ffi::sqlite3_file, _level: c_int) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_check_reserved_lock(_file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    *out = 0;
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_file_control(_file: *mut ffi::sqlite3_file, _op: c_int, _arg: *mut c_void) -> c_int {
    ffi::SQLITE_NOTFOUND
}

unsafe extern "C" fn x_sector_size(_file: *mut ffi::sqlite3_file) -> c_int {
    512
}

unsafe extern "C" fn x_device_characteristics(_file: *mut ffi::sqlite3_file) -> c_int {
    // Deliberately not SQLITE_IOCAP_IMMUTABLE: SQLite must re-check the change counter.
    0
}

unsafe extern "C" fn x_delete(_vfs: *mut ffi::sqlite3_vfs, _name: *const c_char, _sync_dir: c_int) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_access(
    _vfs: *mut ffi::sqlite3_vfs,
    _name: *const c_char,
    _flags: c_int,
    out: *mut c_int,
) -> c_int {
    // Journals and WAL files never persist here, so nothing SQLite probes for exists.
    *out = 0;
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_full_pathname(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    n_out: c_int,
    out: *mut c_char,
) -> c_int {
    let bytes = CStr::from_ptr(name).to_bytes_with_nul();
    if bytes.len() > n_out.max(0) as usize {
        return ffi::SQLITE_CANTOPEN;
    }
    std::ptr::copy_nonoverlapping(bytes.as_ptr().cast::<c_char>(), out, bytes.len());
    ffi::SQLITE_OK
}

unsafe fn base(vfs: *mut ffi::sqlite3_vfs) -> *mut ffi::sqlite3_vfs {
    (*vfs).pAppData.cast()
}

unsafe extern "C" fn x_randomness(vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
    let b = base(vfs);
    match (*b).xRandomness {
        Some(f) => f(b, n, out),
        None => 0,
    }
}

unsafe extern "C" fn x_sleep(vfs: *mut ffi::sqlite3_vfs, micros: c_int) -> c_int {
    let b = base(vfs);
    match (*b).xSleep {
        Some(f) => f(b, micros),
        None => 0,
    }
}

unsafe extern "C" fn x_current_time(vfs: *mut ffi::sqlite3_vfs, out: *mut f64) -> c_int {
    let b = base(vfs);
    match (*b).xCurrentTime {
        Some(f) => f(b, out),
        None => ffi::SQLITE_ERROR,
    }
}

unsafe extern "C" fn x_current_time_int64(vfs: *mut ffi::sqlite3_vfs, out: *mut i64) -> c_int {
    let b = base(vfs);
    match (*b).xCurrentTimeInt64.filter(|_| (*b).iVersion >= 2) {
        Some(f) => f(b, out),
        None => {
            let mut days = 0f64;
            let rc = x_current_time(vfs, &mut days);
            *out = (days * 86_400_000.0) as i64;
            rc
        }
    }
}

unsafe extern "C" fn x_get_last_error(vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
    let b = base(vfs);
    match (*b).xGetLastError {
        Some(f) => f(b, n, out),
        None => 0,
    }
}
