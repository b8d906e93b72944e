//! A framework for Terraform providers speaking plugin protocol v6.
//!
//! This crate is the only code that sees protobuf. It runs the go-plugin handshake with
//! AutoMTLS ([`serve`]), answers every tfplugin6 RPC (failures become diagnostics, never gRPC
//! errors), converts msgpack `DynamicValue`s to [`Dyn`] values with an explicit unknown, and
//! implements Terraform's plan semantics (computed attributes unknown on create, prior state
//! kept where nothing changed, RequiresReplace paths). Providers implement [`Provider`],
//! [`Resource`] and [`DataSource`] against typed accessors ([`Value`], [`Obj`]).

pub mod proto {
    //! Generated protocol types.
    #![allow(missing_docs, missing_debug_implementations, clippy::all)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}

mod convert;
mod diag;
mod handshake;
mod plan;
mod provider;
mod schema;
mod service;
mod tls;
mod value;

pub use diag::{Diagnostics, Path, Step};
pub use handshake::{serve, ServeError};
pub use provider::{DataSource, PlanRequest, Provider, Resource};
pub use schema::{Attr, Block, Kind, NestedBlock, Nesting, Schema, Ty};
pub use tls::TlsError;
pub use value::{DecodeError, Dyn, Obj, Value};

/// Re-exported for implementors of the traits.
pub use async_trait::async_trait;

/// Fuzzing entry point: decodes a `DynamicValue` (msgpack, else JSON, as Terraform sends it)
/// against `block` exactly as every RPC does, answering the shaped value and whether the
/// decode was reported as an error diagnostic.
///
/// Public (but hidden) only for the fuzz targets in `fuzz/`; not part of the crate's API.
#[doc(hidden)]
pub fn decode_dynamic_value(msgpack: &[u8], json: &[u8], block: &Block) -> (Dyn, bool) {
    let v = proto::tfplugin6::DynamicValue {
        msgpack: msgpack.to_vec(),
        json: json.to_vec(),
    };
    let mut diags = Diagnostics::default();
    let d = convert::decode(Some(&v), block, &mut diags);
    (d, diags.has_errors())
}
