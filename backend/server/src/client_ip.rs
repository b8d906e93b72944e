//! The client address: the socket peer, or the `X-Forwarded-For` hop nearest to us that is not
//! a trusted proxy when the peer is one.

use crate::policy::canonical;
use crate::state::AppState;
use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};

/// The address a request comes from, as used by IP access lists and the audit log.
/// Unspecified (`0.0.0.0`) when the transport gave none; IP access lists then deny.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// Middleware: resolves [`ClientIp`] and stores it in the request extensions.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let ext = req.extensions();
    let peer = ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| ext.get::<MockConnectInfo<SocketAddr>>().map(|c| c.0))
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| canonical(a.ip()));
    let ip = forwarded(&state, peer, &req).unwrap_or(peer);
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

fn forwarded(state: &AppState, peer: IpAddr, req: &Request) -> Option<IpAddr> {
    let trusted = |ip: &IpAddr| {
        state
            .settings()
            .trusted_proxies
            .iter()
            .any(|n| n.contains(ip))
    };
    if !trusted(&peer) {
        return None;
    }
    let header = req.headers().get("x-forwarded-for")?.to_str().ok()?;
    header
        .rsplit(',')
        .filter_map(|h| h.trim().parse::<IpAddr>().ok().map(canonical))
        .find(|ip| !trusted(ip))
}
