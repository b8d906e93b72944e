//! A throwaway PostgreSQL server for tests: `initdb` and `pg_ctl` in a temporary directory,
//! listening on a free loopback port only, stopped by PID.
//!
//! The binaries come from `$IRONBRICK_PG_BIN`, `pg_config --bindir`, /usr/lib/postgresql/*/bin
//! or PATH. Missing binaries fail the test with an install hint: never a silent skip. PostgreSQL
//! refuses to run as root, so under root the server runs as the `postgres` user (which the
//! Debian package creates).
//!
//! Other crates' tests use it through the `test-cluster` feature (`ironbrick_store::TempCluster`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const INSTALL_HINT: &str = "PostgreSQL server binaries (initdb, pg_ctl) were not found: install \
     them (Debian/Ubuntu: `apt-get install -y postgresql`), put them on PATH, or point \
     IRONBRICK_PG_BIN at their directory";

/// A running test server; dropped, it is stopped and its files removed.
#[derive(Debug)]
pub struct TempCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    pid: Option<u32>,
    run_as: Option<&'static str>,
}

impl TempCluster {
    /// Creates and starts a server. Panics (with an install hint) when PostgreSQL is missing.
    pub fn start() -> Self {
        let bin = bindir().unwrap_or_else(|| panic!("{INSTALL_HINT}"));
        let dir = tempfile::Builder::new()
            .prefix("ironbrick-pg-")
            .tempdir()
            .expect("temp dir");
        let run_as = is_root().then_some("postgres");
        if let Some(user) = run_as {
            check(
                Command::new("chown").arg(user).arg(dir.path()),
                "chown the cluster directory to postgres (does the user exist?)",
            );
        }
        let mut cluster = Self {
            port: free_port(),
            dir,
            bin,
            pid: None,
            run_as,
        };
        let data = cluster.data();
        let mut initdb = cluster.tool("initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "ironbrick",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
            ])
            .arg("--no-sync");
        check(&mut initdb, "initdb");
        cluster.resume();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command running `name` from the server binaries (as `postgres` under root).
    /// It runs in the cluster directory, which `postgres` can enter (the caller's working
    /// directory may not be).
    fn tool(&self, name: &str) -> Command {
        let exe = self.bin.join(name);
        let mut c = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        c.current_dir(self.dir.path());
        c
    }

    /// Starts the (stopped) server again on the same port and data.
    pub fn resume(&mut self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let mut ctl = self.tool("pg_ctl");
        ctl.arg("start")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o", &options]);
        let out = ctl.output().expect("running pg_ctl");
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            panic!(
                "pg_ctl start failed: {}{}\n{log}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let pid_file =
            std::fs::read_to_string(self.data().join("postmaster.pid")).expect("pid file");
        self.pid = Some(
            pid_file
                .lines()
                .next()
                .and_then(|l| l.trim().parse().ok())
                .expect("postmaster pid"),
        );
    }

    /// Stops the server by PID (fast shutdown; killed if still alive after 20 s).
    pub fn stop(&mut self) {
        let Some(pid) = self.pid.take() else { return };
        signal(pid, "-INT");
        let deadline = Instant::now() + Duration::from_secs(20);
        while alive(pid) {
            if Instant::now() > deadline {
                signal(pid, "-KILL");
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A URL of database `db` (create it first with [`TempCluster::create_database`]).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://ironbrick@127.0.0.1:{}/{db}", self.port)
    }

    /// The loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs one SQL command in database `db` with psql and returns its unaligned output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-U", "ironbrick", "-X", "-q", "-t", "-A"])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-d", db, "-c", sql])
            .output()
            .expect("running psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Creates an empty database `db` and returns its URL.
    pub fn create_database(&self, db: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE {db}"));
        self.url(db)
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn bindir() -> Option<PathBuf> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(d) = std::env::var_os("IRONBRICK_PG_BIN").map(PathBuf::from) {
        return has(&d).then_some(d);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has(&d) {
            return Some(d);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| has(d))
        .collect();
    versions.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(d) = versions.pop() {
        return Some(d);
    }
    std::env::var_os("PATH").and_then(|path| std::env::split_paths(&path).find(|d| has(d)))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn check(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill").arg(sig).arg(pid.to_string()).status();
}

/// Whether `pid` still runs (a zombie, left for a reaper that may never come, does not).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}
