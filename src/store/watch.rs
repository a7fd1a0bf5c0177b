//! Notices that the database changed, whoever changed it: this process's store thread, or
//! another process on the same file (a headless check-in, a second kiosk).
//!
//! SQLite's `PRAGMA data_version` changes on a connection whenever another connection commits.
//! A thread with its own read-only connection asks for it every `every` and calls `changed`
//! when it moves. The query reads no page and takes microseconds.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// Stops the watching thread when dropped.
pub struct ChangeWatch {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for ChangeWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Watches the database at `path` (which must exist) and calls `changed` after each commit by
/// any connection, at most once per `every`. Stops when `changed` returns `false` or the
/// handle is dropped.
pub fn watch_changes(
    path: &Path,
    every: Duration,
    mut changed: impl FnMut() -> bool + Send + 'static,
) -> Result<ChangeWatch, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    let version = move |conn: &Connection| -> rusqlite::Result<i64> {
        conn.pragma_query_value(None, "data_version", |r| r.get(0))
    };
    let mut last = version(&conn).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let owned: PathBuf = path.to_owned();
    let thread = thread::Builder::new()
        .name("store-watch".to_owned())
        .spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                thread::sleep(every);
                match version(&conn) {
                    Ok(now) if now != last => {
                        last = now;
                        if !changed() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(path = %owned.display(), error = %e, "cannot watch the database");
                    }
                }
            }
        })
        .map_err(|source| StoreError::Spawn {
            path: path.to_owned(),
            source,
        })?;
    Ok(ChangeWatch {
        stop,
        thread: Some(thread),
    })
}
