//! The traits a provider implements. Resource code sees [`Obj`] values already shaped to its
//! schema and reports failures through [`Diagnostics`]; it never sees protobuf.

use crate::diag::Diagnostics;
use crate::schema::Schema;
use crate::value::Obj;
use async_trait::async_trait;
use std::sync::Arc;

/// A provider: its own configuration block and the resources and data sources it serves.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider's type name (the prefix of every resource type, e.g. `databricks`).
    fn type_name(&self) -> &'static str;

    /// The provider block's schema.
    fn schema(&self) -> Schema;

    /// Static checks of the provider block. Values may be unknown at this point.
    fn validate(&self, _config: &Obj, _diags: &mut Diagnostics) {}

    /// Receives the provider block. Values can still be unknown here (during `plan`, when they
    /// come from resources not created yet); providers should then fail only when a value is
    /// needed and still missing.
    async fn configure(&self, config: Obj, diags: &mut Diagnostics);

    /// Managed resources.
    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    /// Data sources.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;
}

/// What a resource sees when Terraform plans it. `planned` starts as the framework's plan
/// (see the crate docs for the rules) and may be adjusted.
#[derive(Debug)]
pub struct PlanRequest {
    /// The prior state; `None` when the resource is being created.
    pub prior: Option<Obj>,
    /// The configuration (unknown values possible).
    pub config: Obj,
    /// The planned new state.
    pub planned: Obj,
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The full type name, e.g. `databricks_token`.
    fn type_name(&self) -> &'static str;

    /// The resource schema.
    fn schema(&self) -> Schema;

    /// Static checks of the configuration (values may be unknown). Run at `validate` and `plan`.
    fn validate(&self, _config: &Obj, _diags: &mut Diagnostics) {}

    /// Adjusts a create or update plan (not called for destroy).
    fn modify_plan(&self, _req: &mut PlanRequest, _diags: &mut Diagnostics) {}

    /// Creates the object; returns its state.
    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj>;

    /// Refreshes the state; `None` when the object no longer exists (Terraform then plans to
    /// create it again).
    async fn read(&self, state: Obj, diags: &mut Diagnostics) -> Option<Obj>;

    /// Applies an in-place update; returns the new state.
    async fn update(&self, prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj>;

    /// Deletes the object. An object that is already gone is not an error.
    async fn delete(&self, state: Obj, diags: &mut Diagnostics);

    /// Turns an import id into a minimal state that [`Resource::read`] can complete.
    fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Obj>;
}

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The full type name, e.g. `databricks_current_user`.
    fn type_name(&self) -> &'static str;

    /// The data source schema.
    fn schema(&self) -> Schema;

    /// Static checks of the configuration.
    fn validate(&self, _config: &Obj, _diags: &mut Diagnostics) {}

    /// Reads the data.
    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj>;
}
