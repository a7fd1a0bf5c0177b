//! A real PostgreSQL server: one throwaway cluster in a temporary folder, on its own loopback
//! port (Debian's server, `/usr/lib/postgresql/N/bin`), run as `postgres` when we are root.
//! Shared by the integration tests (`tests/it/central`) and the benchmark (`benches/central.rs`).

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// One PostgreSQL cluster, stopped (immediately) when dropped.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// Run the server's tools as this user (`postgres` when we are root).
    run_as: Option<String>,
}

/// The newest `/usr/lib/postgresql/N/bin` that has `initdb`.
fn server_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Postgres {
    /// Starts a fresh cluster with a database `uketsuke`; `None` (skipped, with a note) when
    /// the server is not installed and CI is not set.
    pub fn start(test: &str) -> Option<Postgres> {
        let Some(bin) = server_bin() else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{test}: PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb): run `bash scripts/deps test`"
                );
            }
            eprintln!("{test}: skipped: PostgreSQL's server is not installed");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("uketsuke-pg-")
            .tempdir_in("/tmp")
            .expect("a temporary folder");
        let run_as = is_root().then(|| "postgres".to_owned());
        if run_as.is_some() {
            let out = Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path())
                .output()
                .expect("chown runs");
            assert!(out.status.success(), "chown: {out:?}");
        }
        let pg = Postgres {
            dir,
            bin,
            port: free_port(),
            run_as,
        };
        let data = pg.data();
        pg.tool(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        );
        pg.start_server();
        pg.psql("postgres", "CREATE DATABASE uketsuke");
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs one of the server's tools (as `postgres` when root); panics with its output if it
    /// fails.
    fn tool(&self, name: &str, args: &[&str]) -> String {
        let program = self.bin.join(name);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{} cannot run: {e}", program.display()));
        assert!(
            out.status.success(),
            "{name} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let data = self.data();
        let log = self.dir.path().join("server.log");
        self.tool(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the server at once, as a power cut or a crash would (`pg_ctl stop -m immediate`).
    pub fn stop(&self) {
        let data = self.data();
        self.tool(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// Starts the stopped server again on the same port.
    pub fn restart(&self) {
        self.start_server();
    }

    /// The URL kiosks are given (no password: trust authentication on loopback).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/uketsuke", self.port)
    }

    /// Runs SQL through `psql` against database `db`; returns its unaligned output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let port = self.port.to_string();
        self.tool(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                db,
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
        )
    }

    /// A client for the test's own queries.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).expect("the test connects")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let program = self.bin.join("pg_ctl");
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        let _ = cmd
            .args([
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
