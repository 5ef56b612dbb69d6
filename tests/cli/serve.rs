//! `tracegrid user add`, `token add` and `serve` as an administrator runs them.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use crate::{Scratch, sample_drop, tracegrid};

fn user_add(db: &str, args: &[&str], password: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .arg("--db")
        .arg(db)
        .args(["user", "add"])
        .args(args)
        .env("TRACEGRID_PASSWORD", password)
        .output()
        .unwrap()
}

#[test]
fn the_first_administrator_is_added_from_the_command_line() {
    let d = Scratch::new("users");
    let db = d.path("store.db");
    let db = db.to_str().unwrap();
    let out = user_add(db, &["root", "--role", "admin"], "a long password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("added user root (admin)"));

    for (args, pw, says) in [
        (
            vec!["root", "--role", "admin"],
            "a long password",
            "exists already",
        ),
        (
            vec!["x", "--role", "king"],
            "a long password",
            "--role king",
        ),
        (vec!["y", "--role", "analyst"], "short", "at least 8"),
        (
            vec!["z", "--role", "grid_worker"],
            "a long password",
            "--grid",
        ),
        (
            vec!["g", "--role", "gate_guard"],
            "a long password",
            "--gate",
        ),
    ] {
        let out = user_add(db, &args, pw);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // The password may come on standard input too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .args([
            "--db",
            db,
            "user",
            "add",
            "wang",
            "--role",
            "grid_worker",
            "--grid",
            "330802001001001",
        ])
        .env_remove("TRACEGRID_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"typed password\n")
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());

    let list = tracegrid(db, &["user", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("root") && text.contains("wang") && text.contains("330802001001001"),
        "{text}"
    );
    let token = tracegrid(db, &["token", "add", "--user", "wang", "--name", "phone"]);
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    assert!(token.starts_with("tgt_") && token.len() == 68, "{token}");
    let none = tracegrid(db, &["token", "add", "--user", "nobody", "--name", "x"]);
    assert!(String::from_utf8_lossy(&none.stderr).contains("no user nobody"));
}

#[test]
fn serve_answers_and_stops_cleanly_on_sigterm() {
    let d = Scratch::new("serve");
    let db = d.path("store.db");
    let db = db.to_str().unwrap();
    let out = user_add(db, &["root", "--role", "admin"], "a long password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tracegrid(db, &["import", sample_drop().to_str().unwrap()]);
    assert!(
        out.status.code().is_some_and(|c| c == 0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = d.path("tracegrid.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nlookback_days = 30\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .args([
            "--db",
            db,
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--as-of",
            "2020-01-31",
        ])
        .env_remove("TRACEGRID_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_owned();
        }
    };
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(
        reply.starts_with("HTTP/1.1 200") && reply.contains("\"status\":\"ok\""),
        "{reply}"
    );

    // A page with its event stream open must not hold the stop up.
    let login = "{\"username\":\"root\",\"password\":\"a long password\"}";
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /api/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{login}",
        login.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let cookie = reply
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("a session cookie: {reply}"))
        .to_owned();
    let mut events = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        events,
        "GET /api/events HTTP/1.1\r\nHost: t\r\nCookie: {cookie}\r\n\r\n"
    )
    .unwrap();
    let mut first = [0u8; 12];
    events.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // Waiting is bounded only so that a regression fails rather than hangs.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait().unwrap());
    });
    let status = finished
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the server stops with an event stream open");
    assert_eq!(status.code(), Some(0), "a SIGTERM is a clean stop");
}

// Guards: `serve --as-of 2020-01-29` screened almost a day later than `screen --as-of
// 2020-01-29` (CONTRACT.md section 5: a date alone is its 00:00, everywhere).
#[test]
fn screen_and_serve_read_a_date_as_the_same_moment() {
    let d = Scratch::new("moment");
    let db = d.path("store.db");
    let db = db.to_str().unwrap();
    assert!(
        user_add(db, &["root", "--role", "admin"], "a long password")
            .status
            .success()
    );
    let out = tracegrid(db, &["import", sample_drop().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let screen = tracegrid(
        db,
        &[
            "screen",
            "--json",
            "--as-of",
            "2020-01-29",
            "--home-region",
            "330800",
        ],
    );
    assert!(
        screen.status.success(),
        "{}",
        String::from_utf8_lossy(&screen.stderr)
    );
    let screen: serde_json::Value = serde_json::from_slice(&screen.stdout).unwrap();
    assert_eq!(screen["as_of"], "2020-01-29T00:00:00+08:00");

    let mut child = Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .args([
            "--db",
            db,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--as-of",
            "2020-01-29",
            "--home-region",
            "330800",
        ])
        .env_remove("TRACEGRID_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.split('/').next().unwrap().to_owned();
        }
    };
    let ask = |request: String| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    };
    let login = "{\"username\":\"root\",\"password\":\"a long password\"}";
    let reply = ask(format!(
        "POST /api/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{login}",
        login.len()
    ));
    let cookie = reply
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("a session cookie: {reply}"))
        .to_owned();
    let reply = ask(format!(
        "GET /api/overview HTTP/1.1\r\nHost: t\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    ));
    let _ = child.kill();
    let _ = child.wait();
    let body = &reply[reply.find("\r\n\r\n").unwrap() + 4..];
    let overview: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {reply}"));
    assert_eq!(overview["as_of"], screen["as_of"]);
    assert_eq!(
        overview["counts"]["alerts"].as_u64().unwrap() as usize,
        screen["alerts"].as_array().unwrap().len()
    );
}
