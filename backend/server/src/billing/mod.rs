//! Billing: the billable usage of clusters, computed from their recorded running time and
//! rendered as Databricks' billable usage log (CSV), for log delivery's `BILLABLE_USAGE`
//! configurations.
//!
//! - [`usage`]: rows per cluster and UTC hour, a month's file and its object key;
//! - [`running`]: when a cluster was billable and with what shape;
//! - [`usage_csv`]: the CSV text;
//! - [`calendar`], [`amount`], [`sku`]: months and hours, fixed-point amounts, SKU names.

pub mod amount;
pub mod calendar;
pub mod running;
pub mod sku;
pub mod usage;
pub mod usage_csv;

pub use calendar::UsageMonth;
pub use usage::{month_file, object_key, usage_rows, UsageFile, UsageRow};
pub use usage_csv::render_csv;
