//! `ironbrick serve`: open the store, bootstrap, listen, drain on SIGTERM.

use crate::config::ServeArgs;
use crate::hosts::WorkspaceDomain;
use crate::listen::{self, Incoming};
use crate::proxy_protocol::ProxyListener;
use crate::state::{AppState, Settings};
use anyhow::Context;

/// Runs the server until SIGTERM or Ctrl-C.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    create_private_dir(&args.data_dir)?;
    let store = crate::storage::open(
        &args.store,
        &args.data_dir,
        args.store_pool_size,
        ironbrick_store::SledOptions {
            min_free: args.min_free_mib.saturating_mul(1 << 20),
            cache_bytes: args.store_cache_mib.saturating_mul(1 << 20),
        },
    )?;
    let migrated = crate::account::backfill_deployment_names(&store)
        .context("giving stored workspaces deployment names")?;
    if migrated > 0 {
        store.kv().flush().context("flushing migrated workspaces")?;
        tracing::info!(migrated, "stored workspaces now have deployment names");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let local = listener.local_addr()?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"))
        .trim_end_matches('/')
        .to_string();
    let workspace_domain = args
        .workspace_domain
        .as_deref()
        .map(|d| WorkspaceDomain::new(d, &public_url))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--workspace-domain: {e}"))?;
    let account_id = crate::bootstrap::ensure_account(
        &store,
        &args.data_dir,
        &public_url,
        args.account_id.as_deref(),
        args.admin_token.as_deref(),
    )?;
    crate::bootstrap::ensure_admin_password(
        &store,
        &args.data_dir,
        &public_url,
        &account_id,
        args.admin_password.as_deref(),
    )?;
    let settings = Settings {
        public_url: public_url.clone(),
        provisioning_delay: args.provisioning_delay,
        trusted_proxies: args.trusted_proxies.clone(),
        workspace_domain: workspace_domain.clone(),
        oauth_token_ttl: args.oauth_token_ttl,
        password_backoff: args.password_backoff,
        cluster_transition: args.cluster_transition,
    };
    let envelope = crate::keys::envelope(&args, &store)?;
    let mut limits = args.limits();
    let open_files = listen::raise_open_file_limit();
    let fitted = listen::fit_connections(limits.max_connections, open_files);
    if fitted < limits.max_connections {
        tracing::warn!(
            max_connections = limits.max_connections,
            open_files,
            serving = fitted,
            "--max-connections lowered to fit the open-file limit"
        );
        limits.max_connections = fitted;
    }
    let state = AppState::with_limits(
        store.clone(),
        account_id.clone(),
        settings,
        envelope,
        limits.clone(),
    );
    let delivery = crate::delivery::spawn(
        state.clone(),
        args.log_delivery_interval,
        crate::delivery::Endpoints {
            s3: args.s3_endpoint.clone(),
            sts: args.sts_endpoint.clone(),
        },
        store
            .kv()
            .leadership("log-delivery")
            .context("preparing the log delivery leadership")?,
    );
    let app = crate::app(state);
    let domain = workspace_domain.as_ref().map(WorkspaceDomain::domain);
    tracing::info!(%public_url, %account_id, workspace_domain = ?domain, data_dir = %args.data_dir.display(), store = %args.store, kms = ?args.kms, proxy_protocol = args.proxy_protocol, max_connections = limits.max_connections, "ironbrick is ready");
    let permits = listen::permits(&limits);
    let incoming = if args.proxy_protocol {
        Incoming::Proxy(ProxyListener::new(
            listener,
            args.trusted_proxies.clone(),
            permits.clone(),
        ))
    } else {
        Incoming::Plain(listener)
    };
    listen::serve(incoming, permits, app, &limits, shutdown_signal()).await;
    delivery.abort();
    store
        .kv()
        .flush()
        .context("flushing the store on shutdown")?;
    tracing::info!("ironbrick stopped");
    Ok(())
}

/// Creates `dir` (and its parents) readable by its owner only.
pub(crate) fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    Ok(())
}

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
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; draining");
}
