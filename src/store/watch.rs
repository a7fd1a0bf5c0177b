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

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use crate::datetime;

    use super::*;
    use crate::store::Store;

    /// Each of several commits by another connection (the store's own), one after another, is
    /// noticed: the watch's connection keeps no read transaction open between looks, so
    /// `data_version` moves for every later commit, not only the first ones.
    #[test]
    fn every_commit_by_another_connection_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let store = Store::open(&path).unwrap();
        let (told, notices) = mpsc::channel();
        let _watch = watch_changes(&path, Duration::from_millis(5), move || {
            told.send(()).is_ok()
        })
        .unwrap();
        let t0 = datetime!(2026-11-22 12:00 +09:00);
        for i in 0..6 {
            store
                .set_kiosk_paused("entrance", "sato", i % 2 == 0, t0)
                .unwrap();
            // A generous cap: it fails only if a commit goes unnoticed.
            assert!(
                notices.recv_timeout(Duration::from_secs(10)).is_ok(),
                "commit {} was not noticed",
                i + 1
            );
        }
    }
}
