use clap::Parser;
use ironbrick::config::{Cli, Command};
use tracing_subscriber::EnvFilter;

/// jemalloc instead of glibc's malloc: under a long mixed workload glibc's per-thread arenas
/// kept freed memory (argon2's 19 MiB blocks, request buffers) and the server's resident
/// memory grew by megabytes a minute while its live heap stayed flat (`scripts/soak`; README,
/// "Soak"). jemalloc returns freed pages to the system after a few seconds.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter =
        EnvFilter::try_from_env("IRONBRICK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => ironbrick::serve::run(*args).await,
        Command::Kms(args) => ironbrick::keys::run(args),
        Command::Migrate(args) => ironbrick::migrate::run(&args, &mut std::io::stdout()).map(drop),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("ironbrick: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
