//! `terraform-provider-databricks`: serves the provider over the go-plugin handshake.

use std::process::ExitCode;
use terraform_provider_databricks::provider::Databricks;

#[tokio::main]
async fn main() -> ExitCode {
    match tf_framework::serve(Databricks::default()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-databricks: {e}");
            ExitCode::FAILURE
        }
    }
}
