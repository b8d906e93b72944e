//! `terraform-provider-databricks`: a Terraform provider (plugin protocol 6) for Ironbrick,
//! compatible with the official Databricks provider's resource names and attributes.

mod account_object;
mod common;
mod data_sources;
mod provider;
mod resources;
mod validate;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match tf_framework::serve(provider::Databricks::default()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-databricks: {e}");
            ExitCode::FAILURE
        }
    }
}
