//! `terraform-provider-databricks`: a Terraform provider (plugin protocol 6) for Ironbrick,
//! compatible with the official Databricks provider's resource names and attributes.
//!
//! The binary serves [`provider::Databricks`]; the library exposes it so that tests (the
//! schema-compatibility check against the official provider, the docs generator) can read the
//! schemas without starting a plugin.

mod account_object;
mod api_json;
mod common;
mod data_sources;
pub mod docs;
pub mod provider;
mod resources;
mod scim;
mod timeouts;
mod validate;
