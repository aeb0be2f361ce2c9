//! The `dashgate` command line: serve (default), migrate, seed, sdl, team, api-key, audit,
//! token.

use anyhow::Context;
/// mimalloc returns freed memory to the system promptly, so memory stays flat after large
/// batches (glibc's allocator keeps it, and more of it the more threads allocate).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use dashgate::accounts::{api_keys, teams};
use dashgate::config::{LogFormat, Settings, reject_unknown_env};
use dashgate::demo;
use dashgate::http::router as build_router;
use dashgate::kernel::Role;
use dashgate::state::AppState;

#[derive(Parser)]
#[command(name = "dashgate", version, about = "GraphQL analytics gateway")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Fill a team with deterministic demo data: request logs, chat, publishing, executive
    /// figures and product telemetry (idempotent).
    Seed {
        /// Number of request logs.
        #[arg(long, default_value_t = demo::DEMO_ROWS)]
        rows: usize,
        /// Team slug (created when missing).
        #[arg(long, default_value = demo::DEMO_TEAM)]
        team: String,
        /// Multiplies every workload: request logs, chat participants and sessions, videos,
        /// learners (e.g. 10 for a 10× demo).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        scale: u32,
    },
    /// Print the GraphQL schema (SDL).
    Sdl,
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Manage API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(KeyCommand),
    /// List a team's audit log (erasures, deletions, exports), newest first.
    Audit {
        #[arg(long)]
        team: String,
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild rollups from raw rows, or check them against raw rows.
    #[command(subcommand)]
    Rollups(RollupsCommand),
    /// Mint a JWT for a team member.
    Token {
        #[arg(long)]
        team: String,
        #[arg(long)]
        user: String,
        /// PUBLISHABLE, VIEWER, EDITOR or ADMIN.
        #[arg(long, default_value = "VIEWER")]
        role: Role,
        /// Validity in hours.
        #[arg(long, default_value_t = 24 * 30)]
        ttl_hours: i64,
    },
}

#[derive(Subcommand)]
enum RollupsCommand {
    /// Recompute every rollup from the raw rows (of one team, or all), in one transaction.
    Rebuild {
        #[arg(long)]
        team: Option<String>,
    },
    /// Recompute every rollup from the raw rows and print each row that differs (exit code 1
    /// when any does, 2 when the check could not run).
    Check {
        #[arg(long)]
        team: Option<String>,
    },
}

#[derive(Subcommand)]
enum TeamCommand {
    /// Create a team.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// IANA timezone of the team's dashboards.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// ISO 4217 currency.
        #[arg(long, default_value = "USD")]
        currency: String,
    },
    /// Change a team's timezone and/or currency.
    Update {
        #[arg(long)]
        slug: String,
        /// IANA timezone of the team's dashboards.
        #[arg(long)]
        timezone: Option<String>,
        /// ISO 4217 currency of its money KPIs.
        #[arg(long)]
        currency: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create an API key (the secret is printed once).
    Create {
        #[arg(long)]
        team: String,
        #[arg(long)]
        name: String,
        /// PUBLISHABLE (sends browser events only, key `dg_pk_…`), VIEWER, EDITOR or ADMIN.
        #[arg(long, default_value = "VIEWER")]
        role: Role,
    },
    /// Revoke an API key by its prefix (its first 11 characters).
    Revoke {
        #[arg(long)]
        prefix: String,
    },
}

/// Exit codes: 0 done; 1 `rollups check` found rows that differ; 2 the command failed (bad
/// settings, database unreachable, a statement failed) — so a script can tell "the rollups
/// are wrong" from "the check could not run".
fn main() -> std::process::ExitCode {
    match start() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn start() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    reject_unknown_env().map_err(anyhow::Error::msg)?;
    let cli = Cli::parse();
    let filter =
        tracing_subscriber::EnvFilter::try_new(&cli.settings.log).context("DASHGATE_LOG")?;
    match cli.settings.log_format {
        // Colours only for a terminal: piped into a file or a log shipper, lines stay plain.
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init(),
    }
    // Resolver futures nest deeply, and a PostgreSQL connection opened at the bottom of them
    // (TLS handshake included) needs more than tokio's default 2 MiB worker stack.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(8 << 20)
        .enable_all()
        .build()?;
    let result = runtime.block_on(run(cli));
    // Dropping a runtime waits for every task to reach an `.await`; a request stuck in CPU
    // work past the drain timeout must not keep a stopped gateway alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Sdl = command {
        print!("{}", dashgate::graphql::sdl());
        return Ok(());
    }
    let mut settings = cli.settings;
    if !matches!(command, Command::Serve) {
        // Maintenance (rebuilding or checking rollups of a large team, seeding) is not
        // serving: no statement timeout, and time to get a connection from a busy database.
        settings.db_statement_timeout_ms = 0;
        settings.db_acquire_timeout_ms = settings.db_acquire_timeout_ms.max(10_000);
    }
    let state = AppState::open(settings, None).await?;
    let now = state.clock.now();
    let now_ms = now.timestamp_millis();
    match command {
        Command::Serve => serve(state).await?,
        Command::Migrate => println!("migrations applied"),
        Command::Seed { rows, team, scale } => {
            let started = std::time::Instant::now();
            let s = demo::seed_scaled(&state.db, &team, rows, scale as usize, now).await?;
            println!(
                "seeded {} new request logs, {} chat rows, {} publishing rows, {} executive rows and {} product rows into `{}` in {:.1?}",
                s.request_logs,
                s.chat_rows,
                s.publishing_rows,
                s.executive_rows,
                s.product_rows,
                s.team.slug,
                started.elapsed()
            );
        }
        Command::Team(TeamCommand::Create {
            slug,
            name,
            timezone,
            currency,
        }) => {
            let team = teams::create(&state.db, &slug, &name, &timezone, &currency, now_ms).await?;
            println!("created team `{}` (id {})", team.slug, team.id.0);
        }
        Command::Team(TeamCommand::Update {
            slug,
            timezone,
            currency,
        }) => {
            let (tz, cur) = (timezone.as_deref(), currency.as_deref());
            let team = teams::update_settings(&state.db, &slug, tz, cur).await?;
            println!(
                "team `{}`: timezone {}, currency {}",
                team.slug,
                team.timezone.name(),
                team.currency
            );
        }
        Command::ApiKey(KeyCommand::Create { team, name, role }) => {
            let key = api_keys::create(&state.db, &team, &name, role, now_ms).await?;
            println!("{}", key.secret);
            eprintln!(
                "API key {} created for `{team}` as {} — store it now, it is not shown again",
                key.prefix,
                role.as_str()
            );
        }
        Command::ApiKey(KeyCommand::Revoke { prefix }) => {
            let n = api_keys::revoke(&state.db, &prefix, now_ms).await?;
            anyhow::ensure!(n > 0, "no live API key with prefix `{prefix}`");
            println!("revoked {n} key(s)");
        }
        Command::Audit { team, limit, json } => {
            let team = teams::find_by_slug(&state.db, &team)
                .await?
                .with_context(|| format!("no team `{team}`"))?;
            let entries = dashgate::audit::list(&state.db, team.id, limit).await?;
            for e in &entries {
                if json {
                    println!("{}", serde_json::to_string(e)?);
                } else {
                    println!(
                        "{}  {:<7} {:<28} {:<8} {}  →  {}",
                        e.at.format("%Y-%m-%d %H:%M:%S"),
                        e.action,
                        e.principal,
                        e.role,
                        e.arguments,
                        e.counts
                    );
                }
            }
            if entries.is_empty() && !json {
                eprintln!("no audit entries for `{}`", team.slug);
            }
        }
        Command::Rollups(command) => rollups(&state, command).await?,
        Command::Token {
            team,
            user,
            role,
            ttl_hours,
        } => {
            teams::find_by_slug(&state.db, &team)
                .await?
                .with_context(|| format!("no team `{team}`"))?;
            let exp = (now + chrono::Duration::hours(ttl_hours)).timestamp();
            println!("{}", state.jwt.mint(&team, &user, role, exp)?);
        }
        Command::Sdl => unreachable!("handled above"),
    }
    Ok(())
}

async fn serve(state: AppState) -> anyhow::Result<()> {
    let settings = state.settings.clone();
    let started = std::time::Instant::now();
    if let Some(s) = demo::seed_if_empty(&state, demo::DEMO_ROWS).await? {
        println!(
            "first start: seeded the `demo` team with {} request logs, {} chat rows, {} publishing rows, {} executive rows and {} product rows in {:.1?}",
            s.request_logs,
            s.chat_rows,
            s.publishing_rows,
            s.executive_rows,
            s.product_rows,
            started.elapsed()
        );
    }
    let listener = tokio::net::TcpListener::bind(&settings.bind)
        .await
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    let addr = listener.local_addr()?;
    println!("dashgate listening on http://{addr}");
    println!("console:   http://{addr}/");
    println!("GraphiQL:  http://{addr}/graphiql");
    if teams::find_by_slug(&state.db, demo::DEMO_TEAM)
        .await?
        .is_some()
    {
        let exp = (state.clock.now() + chrono::Duration::days(30)).timestamp();
        let token = state
            .jwt
            .mint(demo::DEMO_TEAM, "demo@dashgate.local", Role::Editor, exp)?;
        println!("demo token (EDITOR, 30 days) — paste into GraphiQL's Headers tab:");
        println!("{{\"Authorization\": \"Bearer {token}\"}}");
        // The fragment stays in the browser: the console takes it once and drops it from
        // the address bar.
        println!("console signed in as the demo editor: http://{addr}/#token={token}");
    }
    let limits = dashgate::http::server_limits(&state);
    let closing = state.closing.clone();
    let router = build_router(state)?;
    let shutdown = async move {
        shutdown_signal().await;
        closing.send_replace(true);
    };
    dashgate::http::server::serve(listener, router, limits, shutdown).await?;
    println!("dashgate stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM (what orchestrators send before stopping a container).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: no new connections; finishing in-flight requests");
}

/// `dashgate rollups rebuild|check [--team]`.
async fn rollups(state: &AppState, command: RollupsCommand) -> anyhow::Result<()> {
    use dashgate::domains::{registry, rollups};
    let (slug, check) = match command {
        RollupsCommand::Rebuild { team } => (team, false),
        RollupsCommand::Check { team } => (team, true),
    };
    let team = match &slug {
        Some(slug) => Some(
            teams::find_by_slug(&state.db, slug)
                .await?
                .with_context(|| format!("no team `{slug}`"))?
                .id
                .0,
        ),
        None => None,
    };
    if !check {
        let txn = dashgate::db::begin_write(&state.db).await?;
        for rollup in registry::rollups() {
            rollups::rebuild(&txn, rollup, team).await?;
            println!("rebuilt {}", rollup.table);
        }
        for tally in registry::tallies() {
            rollups::tally::rebuild(&txn, tally, team).await?;
            println!("rebuilt {}", tally.table);
        }
        txn.commit().await?;
        return Ok(());
    }
    let mut differences = 0;
    for rollup in registry::rollups() {
        let found = rollups::check(&state.db, rollup, team).await?;
        for d in &found {
            println!("{}", serde_json::to_string(d)?);
        }
        println!("{}: {} rows differ", rollup.table, found.len());
        differences += found.len();
    }
    for tally in registry::tallies() {
        let found = rollups::tally::check(&state.db, tally, team).await?;
        for d in &found {
            println!("{}", serde_json::to_string(d)?);
        }
        println!("{}: {} rows differ", tally.table, found.len());
        differences += found.len();
    }
    if differences > 0 {
        std::process::exit(1);
    }
    Ok(())
}
