//! The tfplugin6 gRPC service. Each RPC decodes, dispatches to the provider's traits and
//! encodes; failures are diagnostics and the gRPC status is always OK.

use crate::convert::{decode, encode, encode_obj, obj};
use crate::diag::Diagnostics;
use crate::plan;
use crate::proto::tfplugin6 as pb;
use crate::provider::{DataSource, PlanRequest, Provider, Resource};
use crate::schema::Schema;
use crate::value::Dyn;
use pb::provider_server::Provider as Rpc;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::watch;
use tonic::{Request, Response, Status};

type Reply<T> = Result<Response<T>, Status>;

struct Entry<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
}

/// Serves one provider over tfplugin6.
pub(crate) struct Service {
    provider: Arc<dyn Provider>,
    provider_schema: Schema,
    resources: HashMap<String, Entry<dyn Resource>>,
    data_sources: HashMap<String, Entry<dyn DataSource>>,
    stop: watch::Sender<bool>,
    /// The provider block held unknown values when last configured (its host or token come
    /// from a resource still to be created or replaced). Refreshes then keep the prior state
    /// instead of failing, so such a provider never blocks plan, refresh or destroy.
    config_pending: AtomicBool,
}

impl Service {
    pub(crate) fn new(provider: Arc<dyn Provider>, stop: watch::Sender<bool>) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let schema = r.schema();
                (r.type_name().to_owned(), Entry { imp: r, schema })
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let schema = d.schema();
                (d.type_name().to_owned(), Entry { imp: d, schema })
            })
            .collect();
        Service {
            provider_schema: provider.schema(),
            provider,
            resources,
            data_sources,
            stop,
            config_pending: AtomicBool::new(false),
        }
    }

    fn resource(&self, name: &str, diags: &mut Diagnostics) -> Option<&Entry<dyn Resource>> {
        let r = self.resources.get(name);
        if r.is_none() {
            diags.error(
                "Unknown resource type",
                format!("This provider does not serve the resource type {name:?}."),
            );
        }
        r
    }

    fn data_source(&self, name: &str, diags: &mut Diagnostics) -> Option<&Entry<dyn DataSource>> {
        let d = self.data_sources.get(name);
        if d.is_none() {
            diags.error(
                "Unknown data source type",
                format!("This provider does not serve the data source {name:?}."),
            );
        }
        d
    }

    fn capabilities() -> pb::ServerCapabilities {
        pb::ServerCapabilities {
            // No resource plans anything of its own for a destroy (a null proposed state plans
            // null, with no validation or plan modification), so Terraform need not ask: with
            // `plan_destroy` it would make one more PlanResourceChange round trip per resource
            // in every `terraform destroy`, each encoding the prior state in msgpack and
            // crossing TLS twice, for an answer it can compute itself.
            plan_destroy: false,
            get_provider_schema_optional: false,
            move_resource_state: false,
        }
    }
}

fn ok<T>(t: T) -> Reply<T> {
    Ok(Response::new(t))
}

/// The provider declares no ephemeral resources.
fn no_ephemeral(type_name: &str) -> Vec<pb::Diagnostic> {
    let mut diags = Diagnostics::default();
    diags.error(
        "Unknown ephemeral resource type",
        format!("This provider serves no ephemeral resource {type_name:?}."),
    );
    diags.into_proto()
}

/// Finishes an apply or read result: shaped to the schema, wholly known.
fn finish(state: Option<crate::Obj>, schema: &Schema) -> Dyn {
    let Some(state) = state else {
        return Dyn::Null;
    };
    let mut v = schema.block.normalize(state.into());
    schema.block.null_write_only(&mut v);
    if v.unknowns_to_null() {
        tracing::warn!("provider left unknown values in a result; they are stored as null");
    }
    v
}

#[tonic::async_trait]
impl Rpc for Service {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Reply<pb::get_metadata::Response> {
        ok(pb::get_metadata::Response {
            server_capabilities: Some(Self::capabilities()),
            diagnostics: Vec::new(),
            data_sources: self
                .data_sources
                .keys()
                .map(|k| pb::get_metadata::DataSourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|k| pb::get_metadata::ResourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            functions: Vec::new(),
        })
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Reply<pb::get_provider_schema::Response> {
        ok(pb::get_provider_schema::Response {
            provider: Some(self.provider_schema.to_proto()),
            resource_schemas: self
                .resources
                .iter()
                .map(|(k, e)| (k.clone(), e.schema.to_proto()))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(k, e)| (k.clone(), e.schema.to_proto()))
                .collect(),
            functions: HashMap::new(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(Self::capabilities()),
        })
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Reply<pb::validate_provider_config::Response> {
        let mut diags = Diagnostics::default();
        let config = decode(
            req.get_ref().config.as_ref(),
            &self.provider_schema.block,
            &mut diags,
        );
        self.provider_schema
            .block
            .check_config(&config, false, &mut diags);
        self.provider.validate(&obj(&config), &mut diags);
        ok(pb::validate_provider_config::Response {
            diagnostics: diags.into_proto(),
        })
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Reply<pb::validate_resource_config::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::default();
        if let Some(r) = self.resource(&req.type_name, &mut diags) {
            let config = decode(req.config.as_ref(), &r.schema.block, &mut diags);
            let write_only_allowed = req
                .client_capabilities
                .is_some_and(|c| c.write_only_attributes_allowed);
            r.schema
                .block
                .check_config(&config, write_only_allowed, &mut diags);
            r.imp.validate(&obj(&config), &mut diags);
        }
        ok(pb::validate_resource_config::Response {
            diagnostics: diags.into_proto(),
        })
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Reply<pb::validate_data_resource_config::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::default();
        if let Some(d) = self.data_source(&req.type_name, &mut diags) {
            let config = decode(req.config.as_ref(), &d.schema.block, &mut diags);
            d.schema.block.check_config(&config, false, &mut diags);
            d.imp.validate(&obj(&config), &mut diags);
        }
        ok(pb::validate_data_resource_config::Response {
            diagnostics: diags.into_proto(),
        })
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Reply<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::default();
        let mut upgraded_state = None;
        if let Some(r) = self.resource(&req.type_name, &mut diags) {
            if req.version > r.schema.version {
                diags.error(
                    "State written by a newer provider",
                    format!(
                        "The state of this {} has schema version {}, but this provider only knows \
                         version {}. Upgrade terraform-provider-databricks.",
                        req.type_name, req.version, r.schema.version
                    ),
                );
            }
            let raw = req.raw_state.map(|s| s.json).unwrap_or_default();
            let state = if raw.is_empty() {
                Ok(Dyn::Null)
            } else {
                Dyn::from_json(&raw)
            };
            match state {
                Ok(s) if !diags.has_errors() => {
                    let shaped = if s.is_null() {
                        s
                    } else {
                        r.schema.block.normalize(s)
                    };
                    upgraded_state = Some(encode(&shaped));
                }
                Ok(_) => {}
                Err(e) => diags.error("Unreadable state", e.to_string()),
            }
        }
        ok(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diags.into_proto(),
        })
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Reply<pb::configure_provider::Response> {
        let mut diags = Diagnostics::default();
        let config = decode(
            req.get_ref().config.as_ref(),
            &self.provider_schema.block,
            &mut diags,
        );
        if !diags.has_errors() {
            self.config_pending
                .store(config.contains_unknown(), Ordering::SeqCst);
            self.provider.configure(obj(&config), &mut diags).await;
        }
        ok(pb::configure_provider::Response {
            diagnostics: diags.into_proto(),
        })
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Reply<pb::read_resource::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::default();
        let mut new_state = req.current_state.clone();
        if let Some(r) = self.resource(&req.type_name, &mut diags) {
            let current = decode(req.current_state.as_ref(), &r.schema.block, &mut diags);
            let pending = self.config_pending.load(Ordering::SeqCst);
            if pending {
                tracing::debug!(
                    type_name = %req.type_name,
                    "provider configuration not known yet; keeping the prior state"
                );
            }
            if !current.is_null() && !diags.has_errors() && !pending {
                let read = r.imp.read(obj(&current), &mut diags).await;
                if !diags.has_errors() {
                    new_state = Some(encode(&finish(read, &r.schema)));
                }
            }
        }
        ok(pb::read_resource::Response {
            new_state,
            diagnostics: diags.into_proto(),
            private: req.private,
            deferred: None,
        })
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Reply<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::default();
        let mut planned_state = req.proposed_new_state.clone();
        let mut requires_replace = Vec::new();
        if let Some(r) = self.resource(&req.type_name, &mut diags) {
            let block = &r.schema.block;
            let prior = decode(req.prior_state.as_ref(), block, &mut diags);
            let mut proposed = decode(req.proposed_new_state.as_ref(), block, &mut diags);
            block.null_write_only(&mut proposed);
            let config = decode(req.config.as_ref(), block, &mut diags);
            let mut planned = plan::planned(block, &prior, &proposed, &config);
            if !planned.is_null() && !diags.has_errors() {
                r.imp.validate(&obj(&config), &mut diags);
                let mut pr = PlanRequest {
                    prior: crate::Obj::from_dyn(&prior),
                    config: obj(&config),
                    planned: obj(&planned),
                };
                r.imp.modify_plan(&mut pr, &mut diags);
                planned = block.normalize(pr.planned.into());
                block.null_write_only(&mut planned);
            }
            requires_replace = plan::requires_replace(block, &prior, &planned)
                .iter()
                .map(|p| p.to_proto())
                .collect();
            planned_state = Some(encode(&planned));
        }
        ok(pb::plan_resource_change::Response {
            planned_state,
            requires_replace,
            planned_private: req.prior_private,
            diagnostics: diags.into_proto(),
            legacy_type_system: false,
            deferred: None,
        })
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Reply<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::default();
        let mut new_state = req.prior_state.clone();
        if let Some(r) = self.resource(&req.type_name, &mut diags) {
            let block = &r.schema.block;
            let prior = decode(req.prior_state.as_ref(), block, &mut diags);
            let planned = decode(req.planned_state.as_ref(), block, &mut diags);
            let config = decode(req.config.as_ref(), block, &mut diags);
            let planned = block.with_write_only(planned, &config);
            if !diags.has_errors() {
                new_state = Some(match (prior.is_null(), planned.is_null()) {
                    (_, true) => {
                        r.imp.delete(obj(&prior), &mut diags).await;
                        encode(if diags.has_errors() {
                            &prior
                        } else {
                            &Dyn::Null
                        })
                    }
                    (true, false) => {
                        let created = r.imp.create(obj(&planned), &mut diags).await;
                        encode(&finish(created, &r.schema))
                    }
                    (false, false) => {
                        match r.imp.update(obj(&prior), obj(&planned), &mut diags).await {
                            Some(s) => encode(&finish(Some(s), &r.schema)),
                            None => encode(&prior),
                        }
                    }
                });
            }
        }
        ok(pb::apply_resource_change::Response {
            new_state,
            private: Vec::new(),
            diagnostics: diags.into_proto(),
            legacy_type_system: false,
        })
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Reply<pb::import_resource_state::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::default();
        let mut imported_resources = Vec::new();
        if let Some(r) = self.resource(&req.type_name, &mut diags) {
            if let Some(state) = r.imp.import(&req.id, &mut diags) {
                imported_resources.push(pb::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(encode_obj(Some(state), &r.schema.block)),
                    private: Vec::new(),
                });
            }
        }
        ok(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: diags.into_proto(),
            deferred: None,
        })
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Reply<pb::read_data_source::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::default();
        let mut state = None;
        if let Some(d) = self.data_source(&req.type_name, &mut diags) {
            let config = decode(req.config.as_ref(), &d.schema.block, &mut diags);
            if !diags.has_errors() {
                let read = d.imp.read(obj(&config), &mut diags).await;
                state = Some(encode(&finish(read, &d.schema)));
            }
        }
        ok(pb::read_data_source::Response {
            state,
            diagnostics: diags.into_proto(),
            deferred: None,
        })
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Reply<pb::move_resource_state::Response> {
        let req = req.into_inner();
        let mut diags = Diagnostics::default();
        diags.error(
            "Moving resource state is not supported",
            format!(
                "{} cannot take over the state of {} ({}); remove the `moved` block and import \
                 the object instead.",
                req.target_type_name, req.source_type_name, req.source_provider_address
            ),
        );
        ok(pb::move_resource_state::Response {
            target_state: None,
            diagnostics: diags.into_proto(),
            target_private: Vec::new(),
        })
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Reply<pb::validate_ephemeral_resource_config::Response> {
        ok(pb::validate_ephemeral_resource_config::Response {
            diagnostics: no_ephemeral(&req.get_ref().type_name),
        })
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Reply<pb::open_ephemeral_resource::Response> {
        ok(pb::open_ephemeral_resource::Response {
            diagnostics: no_ephemeral(&req.get_ref().type_name),
            renew_at: None,
            result: None,
            private: None,
            deferred: None,
        })
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Reply<pb::renew_ephemeral_resource::Response> {
        ok(pb::renew_ephemeral_resource::Response {
            diagnostics: no_ephemeral(&req.get_ref().type_name),
            renew_at: None,
            private: None,
        })
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> Reply<pb::close_ephemeral_resource::Response> {
        ok(pb::close_ephemeral_resource::Response {
            diagnostics: no_ephemeral(&req.get_ref().type_name),
        })
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Reply<pb::get_functions::Response> {
        ok(pb::get_functions::Response {
            functions: HashMap::new(),
            diagnostics: Vec::new(),
        })
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Reply<pb::call_function::Response> {
        ok(pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text: format!(
                    "This provider defines no function {:?}.",
                    req.get_ref().name
                ),
                function_argument: None,
            }),
        })
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Reply<pb::stop_provider::Response> {
        let _ = self.stop.send(true);
        ok(pb::stop_provider::Response {
            error: String::new(),
        })
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
