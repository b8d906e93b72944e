//! Wire types of the Ironbrick REST API.
//!
//! Ironbrick speaks the Databricks account and workspace REST API (2.0) for the security
//! surface. Every request and response body is declared here exactly once and shared by the
//! server, the Terraform provider and the tests. Field names follow the JSON the official
//! `databricks-sdk` for Python sends and expects; optional fields are omitted when absent.
//!
//! With the `client` feature, [`client::Client`] is a typed async HTTP client over these types.

pub mod account;
pub mod error;
pub mod ip_access_lists;
pub mod scim;
pub mod secrets;
pub mod tokens;
pub mod validate;
pub mod workspace_conf;
pub mod workspace_objects;

#[cfg(feature = "client")]
pub mod client;

pub use error::{ErrorBody, ErrorCode};

/// An empty JSON object, the body of most Databricks `delete` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Empty {}
