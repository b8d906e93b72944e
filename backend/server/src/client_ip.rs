//! The client address: the socket peer, or the `X-Forwarded-For` hop nearest to us that is not
//! a trusted proxy when the peer is one.

use crate::policy::canonical;
use crate::proxy_protocol::Origin;
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

/// The AWS VPC endpoint a request came through (from a trusted PROXY protocol header), if any.
#[derive(Debug, Clone, Default)]
pub struct ViaEndpoint(pub Option<String>);

/// Middleware: resolves [`ClientIp`] (and [`ViaEndpoint`]) and stores them in the request
/// extensions. Behind the PROXY protocol, the header's client address is the client's.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let ext = req.extensions();
    if let Some(origin) = ext.get::<ConnectInfo<Origin>>().map(|c| c.0.clone()) {
        let ip = if origin.client != origin.peer {
            canonical(origin.client.ip())
        } else {
            let peer = canonical(origin.peer.ip());
            forwarded(&state, peer, &req).unwrap_or(peer)
        };
        req.extensions_mut().insert(ClientIp(ip));
        req.extensions_mut()
            .insert(ViaEndpoint(origin.vpc_endpoint));
        return next.run(req).await;
    }
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
