//! The gateway a benchmark runs as a process of its own: its state for seeding (with the same
//! settings as the process), starting it, and its memory and CPU time from `/proc` (Linux).
//! Shared by the benches that spawn the `dashgate` binary.

/// Resident and peak memory of a process, in KiB.
pub fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU seconds a process has used (user + system).
#[allow(dead_code)]
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime: fields 14 and 15 of /proc/<pid>/stat, 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Starts the gateway under test — `binary`, or this build's `dashgate` — as a process of its
/// own on a free port, over `database_url`, with `env` on top of the bench settings (JWT
/// secret `bench`, no rate limit, no demo, warnings only); returns once it accepts.
pub async fn spawn_gateway(
    binary: Option<&str>,
    database_url: &str,
    env: &[(&str, String)],
) -> (std::process::Child, std::net::SocketAddr) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut command = std::process::Command::new(binary.unwrap_or(env!("CARGO_BIN_EXE_dashgate")));
    command
        .arg("serve")
        .env("DASHGATE_DATABASE_URL", database_url)
        .env("DASHGATE_JWT_SECRET", "bench")
        .env("DASHGATE_BIND", addr.to_string())
        .env("DASHGATE_RATE_LIMIT_PER_MINUTE", "0")
        .env("DASHGATE_DEMO", "false")
        .env("DASHGATE_LOG", "warn")
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.spawn().expect("dashgate serve");
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    (child, addr)
}

/// The state of the database the spawned gateway serves, for seeding and minting tokens: the
/// bench settings (JWT secret `bench`, no rate limit, no demo).
pub async fn bench_state(database_url: &str) -> dashgate::state::AppState {
    let settings = dashgate::config::Settings {
        database_url: database_url.to_string(),
        jwt_secret: Some("bench".into()),
        rate_limit_per_minute: 0,
        demo: false,
        ..dashgate::config::Settings::default()
    };
    dashgate::state::AppState::open(settings, None)
        .await
        .expect("state")
}
