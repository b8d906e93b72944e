//! Host-based workspace URLs (`--workspace-domain`).
//!
//! Databricks serves each workspace at its own host, `https://<deployment_name>.<domain>`. With a
//! workspace domain, Ironbrick does the same: a request whose `Host` is `<name>.<domain>` is
//! routed to the workspace with deployment name `<name>`, as if it had been sent to the path form
//! `/w/<workspace_id>/...`, which keeps working. Scheme and port come from the public URL, so
//! `--public-url http://127.0.0.1:8420 --workspace-domain localhost` gives workspace URLs like
//! `http://dbc-1a2b3c4d-5e6f.localhost:8420`.
//!
//! The rewrite happens in front of the router ([`route`]): routing then sees the path form and
//! every layer (authentication, IP access lists, audit) applies unchanged. A host of the domain
//! that names no workspace is answered 404 RESOURCE_DOES_NOT_EXIST by [`refuse_unknown`], inside
//! the audit layer. The public host itself is never a workspace host, even when it lies under
//! the domain (`accounts.example.com` with domain `example.com`).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::Request;
use axum::http::uri::{Authority, PathAndQuery, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::str::FromStr;

/// The workspace domain and how workspace URLs under it are spelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceDomain {
    domain: String,
    scheme: String,
    port: Option<u16>,
    public_host: String,
}

impl WorkspaceDomain {
    /// The domain `domain` (a DNS name such as `localhost` or `ironbrick.example.com`; a
    /// trailing dot is dropped, letters are lowercased), with the scheme and port of
    /// `public_url`.
    pub fn new(domain: &str, public_url: &str) -> Result<Self, String> {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        check_domain(&domain)?;
        let uri = Uri::from_str(public_url)
            .map_err(|e| format!("public URL {public_url:?} is not a URL: {e}"))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| format!("public URL {public_url:?} has no scheme"))?
            .to_ascii_lowercase();
        let public_host = uri
            .host()
            .ok_or_else(|| format!("public URL {public_url:?} has no host"))?
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        };
        let port = uri.port_u16().filter(|p| Some(*p) != default_port);
        Ok(Self {
            domain,
            scheme,
            port,
            public_host,
        })
    }

    /// The domain, e.g. `localhost`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The host name of deployment `name`: `<name>.<domain>`.
    pub fn host(&self, name: &str) -> String {
        format!("{name}.{}", self.domain)
    }

    /// Whether deployment `name` would be served at the public host itself (and so cannot be a
    /// workspace host).
    pub fn is_public_host(&self, name: &str) -> bool {
        self.host(name) == self.public_host
    }

    /// The workspace URL of deployment `name`: `{scheme}://<name>.<domain>[:port]`.
    pub fn url(&self, name: &str) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host(name)),
            None => format!("{}://{}", self.scheme, self.host(name)),
        }
    }

    /// The deployment name a request's host (`Host` header value, port allowed) designates:
    /// `None` when it is not a workspace host of this domain. A host of the domain whose prefix
    /// is not a single label still designates one (that no workspace has).
    pub fn deployment_of(&self, host: &str) -> Option<String> {
        let host = Authority::from_str(host.trim()).ok()?;
        let name = host.host().trim_end_matches('.').to_ascii_lowercase();
        if name == self.public_host {
            return None;
        }
        let prefix = name.strip_suffix(&self.domain)?.strip_suffix('.')?;
        (!prefix.is_empty()).then(|| prefix.to_string())
    }
}

/// Requires a DNS name with room for a deployment label in front of it.
fn check_domain(domain: &str) -> Result<(), String> {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if domain.parse::<IpAddr>().is_ok() {
        return Err(format!(
            "workspace domain {domain:?} is an IP address; workspace hosts need a DNS name (e.g. localhost)"
        ));
    }
    if domain.is_empty() || domain.len() > 253 - 64 || !domain.split('.').all(label_ok) {
        return Err(format!(
            "workspace domain {domain:?} is not a DNS name of letters, digits and hyphens (e.g. localhost or ironbrick.example.com)"
        ));
    }
    Ok(())
}

/// How [`route`] placed a request that arrived at a workspace host.
#[derive(Debug, Clone)]
enum HostRoute {
    /// The host names no workspace.
    Unknown { host: String, name: String },
    /// The deployment index could not be read.
    Failed(String),
    /// The store is temporarily unavailable (the detail is for the log).
    Unavailable(String),
}

/// The host a request was sent to: `Host`, or the URI's authority (HTTP/2).
fn request_host(req: &Request) -> Option<String> {
    req.headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_string()))
}

/// Rewrites a request sent to a workspace host into the path form `/w/<workspace_id>/...`, or
/// marks it for [`refuse_unknown`]. Requests to other hosts pass unchanged.
pub fn route(state: &AppState, mut req: Request) -> Request {
    let Some(domain) = state.settings().workspace_domain.as_ref() else {
        return req;
    };
    let Some(host) = request_host(&req) else {
        return req;
    };
    let Some(name) = domain.deployment_of(&host) else {
        return req;
    };
    let mark = match crate::account::deployment_workspace(state.store(), &name) {
        Ok(Some(id)) => {
            let path = req.uri().path();
            let rewritten = match req.uri().query() {
                Some(q) => format!("/w/{id}{path}?{q}"),
                None => format!("/w/{id}{path}"),
            };
            match PathAndQuery::from_str(&rewritten) {
                Ok(pq) => {
                    let mut parts = req.uri().clone().into_parts();
                    parts.path_and_query = Some(pq);
                    match Uri::from_parts(parts) {
                        Ok(uri) => {
                            *req.uri_mut() = uri;
                            return req;
                        }
                        Err(e) => HostRoute::Failed(e.to_string()),
                    }
                }
                Err(e) => HostRoute::Failed(e.to_string()),
            }
        }
        Ok(None) => HostRoute::Unknown { host, name },
        Err(e) if e.is_transient() => HostRoute::Unavailable(e.to_string()),
        Err(e) => HostRoute::Failed(e.to_string()),
    };
    req.extensions_mut().insert(mark);
    req
}

/// Middleware (inside the audit layer): answers requests [`route`] could not place.
pub async fn refuse_unknown(req: Request, next: Next) -> Response {
    match req.extensions().get::<HostRoute>() {
        None => next.run(req).await,
        Some(HostRoute::Unknown { host, name }) => ApiError::not_found(format!(
            "No workspace is served at {host}: no workspace has the deployment name {name:?}."
        ))
        .into_response(),
        Some(HostRoute::Failed(detail)) => {
            ApiError::Internal(format!("routing a workspace host: {detail}")).into_response()
        }
        Some(HostRoute::Unavailable(detail)) => {
            ApiError::from(ironbrick_store::StoreError::Unavailable(detail.clone())).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_take_scheme_and_port_from_the_public_url() {
        let d = WorkspaceDomain::new("LocalHost.", "http://127.0.0.1:8420").unwrap();
        assert_eq!(d.domain(), "localhost");
        assert_eq!(d.url("dbc-1"), "http://dbc-1.localhost:8420");
        let d = WorkspaceDomain::new("example.com", "https://accounts.example.com").unwrap();
        assert_eq!(d.url("team"), "https://team.example.com");
        let d = WorkspaceDomain::new("example.com", "https://accounts.example.com:443/").unwrap();
        assert_eq!(d.url("team"), "https://team.example.com");
    }

    #[test]
    fn hosts_map_to_deployment_names() {
        let d = WorkspaceDomain::new("example.com", "https://accounts.example.com").unwrap();
        assert_eq!(d.deployment_of("team.example.com"), Some("team".into()));
        assert_eq!(
            d.deployment_of("Team.Example.COM:8443"),
            Some("team".into())
        );
        assert_eq!(d.deployment_of("a.b.example.com"), Some("a.b".into()));
        assert_eq!(d.deployment_of("accounts.example.com"), None);
        assert_eq!(d.deployment_of("example.com"), None);
        assert_eq!(d.deployment_of("teamexample.com"), None);
        assert_eq!(d.deployment_of("127.0.0.1:8420"), None);
        assert_eq!(d.deployment_of("[::1]:8420"), None);
    }

    #[test]
    fn bad_domains_are_refused() {
        for bad in [
            "",
            "127.0.0.1",
            "exa mple.com",
            "-a.com",
            "a..com",
            "a_b.com",
        ] {
            assert!(
                WorkspaceDomain::new(bad, "http://127.0.0.1:1").is_err(),
                "{bad}"
            );
        }
        assert!(WorkspaceDomain::new("localhost", "not a url").is_err());
    }
}
