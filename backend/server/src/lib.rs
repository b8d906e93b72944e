//! Ironbrick, the control plane: a Databricks-compatible account and workspace REST API for the
//! security surface, on a pluggable key-value store.

pub mod account;
pub mod app;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod billing;
pub mod bootstrap;
pub mod client_ip;
pub mod compute;
pub mod config;
pub mod delivery;
pub mod error;
pub mod exclusive;
pub mod hosts;
pub mod identity;
pub mod ids;
pub mod invalidation;
pub mod json;
pub mod key_store;
pub mod keys;
pub mod limits;
pub mod listen;
pub mod migrate;
pub mod model;
pub mod oauth;
pub mod passwords;
pub mod permissions;
pub mod policy;
pub mod private_link;
pub mod proxy_protocol;
pub mod redact;
pub mod repo;
pub mod scim;
pub mod serve;
pub mod state;
pub mod storage;
#[cfg(test)]
pub(crate) mod testing;
pub mod time;
pub mod tokens;
pub mod validate;
pub mod vault;
pub mod workspace;

pub use app::app;
pub use state::{AppState, Settings};
