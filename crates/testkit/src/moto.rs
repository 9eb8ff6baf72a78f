//! A local moto server (AWS-compatible DynamoDB, S3, Secrets Manager, SSM) for tests.
//!
//! `endpoint()` returns `MOTO_ENDPOINT` or `AWS_ENDPOINT_URL` when set (that server must
//! serialise requests like `scripts/moto-server`, or concurrency checks can flake); otherwise
//! it starts `scripts/moto-server` with `python3` on a free loopback port, once per test
//! process, and a watchdog stops it when the process ends. Without moto it panics with the
//! install line, on purpose: tests that need it must fail, not skip.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A moto server this process started. A watchdog shell kills it when our end of its stdin
/// closes, which happens however this process ends (statics are never dropped).
struct Moto {
    endpoint: String,
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The endpoint of the shared local server (started on first use).
pub fn endpoint() -> String {
    for var in ["MOTO_ENDPOINT", "AWS_ENDPOINT_URL"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return v;
        }
    }
    MOTO.get_or_init(start_moto).endpoint.clone()
}

fn start_moto() -> Moto {
    let installed = Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        installed,
        "moto is not installed for python3. The AWS contract tests need it: \
         pip install 'moto[server]' (or point MOTO_ENDPOINT at a running server)"
    );
    // moto with requests serialised: its threaded server lets concurrent conditional writes
    // race, which real DynamoDB never does (see the script's doc).
    let launcher =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/moto-server");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log = std::env::temp_dir().join(format!("moto-{port}.log"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"python3 "$0" -H 127.0.0.1 -p "$1" >"$2" 2>&1 & m=$!; read _ignored; kill "$m""#)
        .arg(&launcher)
        .arg(port.to_string())
        .arg(&log)
        .stdin(Stdio::piped())
        .spawn()
        .expect("start scripts/moto-server");
    let stdin = child.stdin.take().expect("watchdog stdin");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if answers(port) {
            break;
        }
        if Instant::now() > deadline {
            let out = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "scripts/moto-server did not answer on 127.0.0.1:{port} within 60 s; \
                 its output:\n{out}"
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: Mutex::new(child),
        _stdin: Mutex::new(stdin),
    }
}

fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/")
}
