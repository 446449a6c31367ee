//! A moto server (the AWS emulator) for tests and the local stack: started on a free
//! loopback port, stopped when dropped — and also when this process dies, because it runs
//! under a small shell watchdog that stops it as soon as its stdin (held by us) closes.
//!
//! moto's server is threaded and its DynamoDB backend has no locking: two concurrent
//! conditional writes can both pass their condition, and a cancelled transaction restores a
//! snapshot of the whole table taken before it started, erasing writes that other threads
//! made meanwhile. Real DynamoDB makes every request atomic and isolates transactions. So,
//! when moto's Python package is importable, the server is started through a small
//! bootstrap ([`SERIALIZED_BOOTSTRAP`]) that runs DynamoDB requests one at a time (other
//! services stay concurrent, e.g. SQS long polls). Otherwise `moto_server` is used as is,
//! and [`MotoServer::serializes_dynamodb`] says so.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// How to install moto when it is missing.
pub const INSTALL_HINT: &str =
    "install it with `python3 -m pip install \"moto[server]\"` (or `make deps-python`)";

/// How long moto may take to answer after it was started.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts with a new port when moto does not come up (another process took the port).
const START_ATTEMPTS: usize = 3;

/// Runs moto's WSGI app with DynamoDB requests serialised (arguments: host, port).
pub const SERIALIZED_BOOTSTRAP: &str = r#"
import os, sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
app.debug = True
dynamodb = threading.Lock()
def serialized(environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with dynamodb:
            return list(app(environ, start_response))
    return app(environ, start_response)
run_simple(host, port, serialized, threaded=True)
"#;

/// Stops the server when the watchdog's stdin closes (our end is dropped or we die).
// The watchdog ignores SIGINT/SIGQUIT: a Ctrl-C sent to the whole process group must not kill
// it before it kills moto (moto, a background job of this shell, ignores SIGINT itself). It
// stops moto when its stdin closes, i.e. when the owning process exits for any reason.
const WATCHDOG: &str = r#"trap '' INT QUIT
log="$1"; shift
"$@" </dev/null >>"$log" 2>&1 &
child=$!
read -r _unused
kill "$child" 2>/dev/null
wait "$child" 2>/dev/null
exit 0"#;

/// Why moto could not be started.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    /// Neither `moto_server` nor the `moto.server` Python module is installed.
    #[error(
        "moto is not installed (no `moto_server` on PATH, no `moto.server` module for python3): {INSTALL_HINT}"
    )]
    NotInstalled,
    /// It was started but never answered.
    #[error(
        "moto_server did not answer on {addr} within {seconds} s; its log ({log}) ends with:\n{tail}"
    )]
    NotReady {
        /// Where it should have answered.
        addr: SocketAddr,
        /// How long we waited.
        seconds: u64,
        /// Its log file.
        log: String,
        /// The end of its log.
        tail: String,
    },
    /// An I/O failure (spawning, a free port, HTTP).
    #[error("moto_server: {0}")]
    Io(#[from] std::io::Error),
    /// An admin request answered something else than 200.
    #[error("moto admin request {path} answered: {status_line}")]
    Admin {
        /// The path.
        path: String,
        /// The status line received.
        status_line: String,
    },
}

/// A running moto server.
#[derive(Debug)]
pub struct MotoServer {
    watchdog: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
    log: PathBuf,
    serialized: bool,
}

/// How moto is started.
#[derive(Debug, Clone)]
enum Launcher {
    /// `python3 -c SERIALIZED_BOOTSTRAP HOST PORT`.
    Bootstrap,
    /// `moto_server -H HOST -p PORT` (or `python3 -m moto.server`).
    Plain(Vec<String>),
}

impl MotoServer {
    /// Starts moto on a free loopback port and waits until it answers.
    pub fn start() -> Result<Self, MotoError> {
        let launcher = find_moto().ok_or(MotoError::NotInstalled)?;
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            match Self::start_with(&launcher) {
                Ok(server) => return Ok(server),
                Err(error @ MotoError::NotReady { .. }) => last = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last.unwrap_or(MotoError::NotInstalled))
    }

    fn start_with(launcher: &Launcher) -> Result<Self, MotoError> {
        let port = free_port()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let log = std::env::temp_dir().join(format!("moto-server-{port}.log"));
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(WATCHDOG)
            .arg("moto-watchdog")
            .arg(&log);
        match launcher {
            Launcher::Bootstrap => {
                command.args(["python3", "-c", SERIALIZED_BOOTSTRAP, "127.0.0.1"]);
                command.arg(port.to_string());
            }
            Launcher::Plain(program) => {
                command
                    .args(program)
                    .args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            }
        }
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut watchdog = command.spawn()?;
        let stdin = watchdog.stdin.take();
        let mut server = Self {
            watchdog,
            stdin,
            addr,
            log,
            serialized: matches!(launcher, Launcher::Bootstrap),
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if server.answers() {
                return Ok(server);
            }
            if matches!(server.watchdog.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let tail = tail(&server.log);
        server.stop_now();
        Err(MotoError::NotReady {
            addr,
            seconds: READY_TIMEOUT.as_secs(),
            log: server.log.display().to_string(),
            tail,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether DynamoDB requests are serialised (see the module documentation).
    pub fn serializes_dynamodb(&self) -> bool {
        self.serialized
    }

    /// Its log file (requests and errors).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Forgets every resource of every account (`POST /moto-api/reset`).
    pub fn reset(&self) -> Result<(), MotoError> {
        let status_line = self.request("POST", "/moto-api/reset")?;
        if status_line.contains(" 200 ") {
            Ok(())
        } else {
            Err(MotoError::Admin {
                path: "/moto-api/reset".to_owned(),
                status_line,
            })
        }
    }

    fn answers(&self) -> bool {
        self.request("GET", "/moto-api/")
            .is_ok_and(|status| status.starts_with("HTTP/1."))
    }

    /// The status line of a bodiless request.
    fn request(&self, method: &str, path: &str) -> Result<String, MotoError> {
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply)?;
        let text = String::from_utf8_lossy(&reply);
        Ok(text.lines().next().unwrap_or_default().to_owned())
    }

    fn stop_now(&mut self) {
        // Closing stdin makes the watchdog stop moto and exit.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.watchdog.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// How to run moto: the bootstrap when `python3` imports moto, else `moto_server`.
fn find_moto() -> Option<Launcher> {
    let importable = Command::new("python3")
        .args(["-c", "import moto.server, werkzeug.serving"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if importable {
        return Some(Launcher::Bootstrap);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .find(|candidate| candidate.is_file())
    });
    on_path.map(|path| Launcher::Plain(vec![path.display().to_string()]))
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_moto_says_how_to_install_it() {
        let text = MotoError::NotInstalled.to_string();
        assert!(
            text.contains("python3 -m pip install \"moto[server]\""),
            "{text}"
        );
        assert!(text.contains("make deps-python"), "{text}");
    }

    #[test]
    fn free_ports_are_loopback_ports_nobody_holds() {
        let port = free_port().unwrap();
        assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok());
    }
}
