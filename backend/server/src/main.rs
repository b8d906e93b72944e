use clap::Parser;
use ironbrick::config::{Cli, Command};
use tracing_subscriber::EnvFilter;

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
