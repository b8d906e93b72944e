//! The tfplugin6 service driven in process with a small provider, RPC by RPC.

use super::*;
use crate::schema::{Attr, Block, Ty};
use crate::value::Obj;
use async_trait::async_trait;
use std::sync::Mutex;

#[derive(Default)]
struct Thing {
    store: Mutex<std::collections::BTreeMap<String, String>>,
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new(
            "t",
            vec![
                Attr::computed("id", Ty::String, ""),
                Attr::required("name", Ty::String, "").force_new(),
                Attr::optional("note", Ty::String, ""),
                Attr::optional("secret_wo", Ty::String, "").write_only(),
            ],
        ))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        if config.str("name") == "bad" {
            diags.error_at(crate::Path::attr("name"), "Invalid name", "bad is bad");
        }
    }

    async fn create(&self, planned: Obj, _: &mut Diagnostics) -> Option<Obj> {
        let mut o = planned;
        let id = format!("id-{}", o.str("name"));
        let kept = o
            .opt_str("secret_wo")
            .unwrap_or_else(|| o.str("note").to_owned());
        self.store.lock().unwrap().insert(id.clone(), kept);
        o.set("id", id);
        Some(o)
    }

    async fn read(&self, st: Obj, _: &mut Diagnostics) -> Option<Obj> {
        self.store
            .lock()
            .unwrap()
            .contains_key(st.str("id"))
            .then_some(st)
    }

    async fn update(&self, _: Obj, planned: Obj, _: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, _: &mut Diagnostics) {
        self.store.lock().unwrap().remove(st.str("id"));
    }

    fn import(&self, id: &str, _: &mut Diagnostics) -> Option<Obj> {
        let mut o = Obj::new();
        o.set("id", id);
        Some(o)
    }
}

struct TestProvider(Arc<Thing>);

fn thing_of(s: &Service) -> Arc<dyn Resource> {
    s.resources["test_thing"].imp.clone()
}

#[async_trait]
impl Provider for TestProvider {
    fn type_name(&self) -> &'static str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new(
            "p",
            vec![Attr::optional("host", Ty::String, "")],
        ))
    }
    async fn configure(&self, _: Obj, _: &mut Diagnostics) {}
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![self.0.clone()]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

fn service() -> Service {
    let (tx, _) = watch::channel(false);
    Service::new(Arc::new(TestProvider(Arc::new(Thing::default()))), tx)
}

fn dv(pairs: &[(&str, Dyn)]) -> Option<pb::DynamicValue> {
    let mut o = Obj::new();
    for (k, v) in pairs {
        o.set(k, v.clone());
    }
    Some(encode(&Dyn::from(o)))
}

fn decoded(v: Option<pb::DynamicValue>) -> Dyn {
    Dyn::from_msgpack(&v.unwrap().msgpack).unwrap()
}

fn field(v: &Dyn, name: &str) -> Dyn {
    v.as_map().unwrap()[name].clone()
}

async fn plan(
    s: &Service,
    prior: Option<pb::DynamicValue>,
    proposed: Option<pb::DynamicValue>,
) -> pb::plan_resource_change::Response {
    s.plan_resource_change(Request::new(pb::plan_resource_change::Request {
        type_name: "test_thing".into(),
        prior_state: prior,
        proposed_new_state: proposed.clone(),
        config: proposed,
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn schema_lists_resources_with_cty_types() {
    let s = service();
    let r = s
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let block = r.resource_schemas["test_thing"].block.clone().unwrap();
    assert_eq!(block.attributes.len(), 4);
    assert!(block.attributes[3].write_only);
    assert!(block.attributes.iter().all(|a| a.r#type == br#""string""#));
    assert!(
        !r.server_capabilities.unwrap().plan_destroy,
        "destroys are planned by Terraform itself (no PlanResourceChange per destroyed resource)"
    );
    let m = s
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(m.resources[0].type_name, "test_thing");
}

#[tokio::test]
async fn create_plans_unknown_id_and_update_of_force_new_requires_replace() {
    let s = service();
    let config = dv(&[("name", "a".into())]);
    let p = plan(&s, None, config.clone()).await;
    assert!(p.diagnostics.is_empty());
    assert!(field(&decoded(p.planned_state.clone()), "id").is_unknown());

    let applied = s
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: None,
            planned_state: p.planned_state,
            config,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let state = decoded(applied.new_state.clone());
    assert_eq!(field(&state, "id"), Dyn::from("id-a"));

    let same = plan(&s, applied.new_state.clone(), applied.new_state.clone()).await;
    assert_eq!(decoded(same.planned_state), state);
    assert!(same.requires_replace.is_empty());

    let renamed = dv(&[("id", "id-a".into()), ("name", "b".into())]);
    let p = plan(&s, applied.new_state.clone(), renamed).await;
    let path = &p.requires_replace[0].steps[0];
    assert_eq!(
        path.selector,
        Some(pb::attribute_path::step::Selector::AttributeName(
            "name".into()
        ))
    );
}

#[tokio::test]
async fn validation_errors_are_diagnostics_with_paths_not_grpc_errors() {
    let s = service();
    let r = s
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: dv(&[("name", "bad".into())]),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics[0].summary, "Invalid name");
    assert!(r.diagnostics[0].attribute.is_some());
    let unknown = plan_unknown_type(&s).await;
    assert!(unknown.diagnostics[0]
        .summary
        .contains("Unknown resource type"));
    let garbage = s
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![0x92, 0x01],
                json: vec![],
            }),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(garbage.diagnostics[0].summary.contains("Invalid value"));
}

async fn plan_unknown_type(s: &Service) -> pb::plan_resource_change::Response {
    s.plan_resource_change(Request::new(pb::plan_resource_change::Request {
        type_name: "test_nope".into(),
        ..Default::default()
    }))
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn read_of_a_vanished_object_returns_null_and_import_then_read_works() {
    let s = service();
    let gone = s
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: dv(&[("id", "id-x".into()), ("name", "x".into())]),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(decoded(gone.new_state).is_null());

    let imported = s
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "id-y".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let st = decoded(imported.imported_resources[0].state.clone());
    assert_eq!(field(&st, "id"), Dyn::from("id-y"));
    assert!(field(&st, "note").is_null());
}

#[tokio::test]
async fn json_state_upgrades_to_the_schema_and_moves_are_refused() {
    let s = service();
    let r = s
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: br#"{"id":"i","name":"n","removed_attr":1}"#.to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    let st = decoded(r.upgraded_state);
    assert_eq!(st.as_map().unwrap().len(), 4);
    assert!(field(&st, "note").is_null());

    let newer = s
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: "test_thing".into(),
            version: 7,
            raw_state: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(newer.diagnostics[0].summary.contains("newer provider"));

    let moved = s
        .move_resource_state(Request::new(pb::move_resource_state::Request::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.diagnostics.len(), 1);
}

#[tokio::test]
async fn destroy_plans_null_and_apply_deletes() {
    let s = service();
    let created = s
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            planned_state: dv(&[("id", Dyn::Unknown), ("name", "d".into())]),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let p = plan(&s, created.new_state.clone(), Some(encode(&Dyn::Null))).await;
    assert!(decoded(p.planned_state.clone()).is_null());
    let destroyed = s
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: created.new_state,
            planned_state: p.planned_state,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(decoded(destroyed.new_state).is_null());
    assert!(destroyed.diagnostics.is_empty());
}

async fn validate_wo(s: &Service, allowed: bool) -> Vec<pb::Diagnostic> {
    s.validate_resource_config(Request::new(pb::validate_resource_config::Request {
        type_name: "test_thing".into(),
        config: dv(&[("name", "w".into()), ("secret_wo", "s3cret".into())]),
        client_capabilities: Some(pb::ClientCapabilities {
            deferral_allowed: false,
            write_only_attributes_allowed: allowed,
        }),
    }))
    .await
    .unwrap()
    .into_inner()
    .diagnostics
}

#[tokio::test]
async fn write_only_values_reach_create_but_never_plan_or_state() {
    let s = service();
    let old = validate_wo(&s, false).await;
    assert!(old[0].summary.contains("Terraform 1.11"), "{old:?}");
    assert!(validate_wo(&s, true).await.is_empty());

    let config = dv(&[("name", "w".into()), ("secret_wo", "s3cret".into())]);
    let p = plan(&s, None, config.clone()).await;
    assert!(field(&decoded(p.planned_state.clone()), "secret_wo").is_null());
    let applied = s
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            planned_state: p.planned_state,
            config,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(applied.diagnostics.is_empty());
    assert!(field(&decoded(applied.new_state.clone()), "secret_wo").is_null());
    let mut proposed = decoded(applied.new_state.clone());
    if let Dyn::Map(m) = &mut proposed {
        m.insert("secret_wo".into(), "s3cret".into());
    }
    let again = plan(&s, applied.new_state.clone(), Some(encode(&proposed))).await;
    assert_eq!(decoded(again.planned_state), decoded(applied.new_state));
    let thing = thing_of(&s);
    let mut st = Obj::new();
    st.set("id", "id-w");
    assert!(thing.read(st, &mut Diagnostics::default()).await.is_some());
}

#[tokio::test]
async fn an_unknown_provider_configuration_keeps_prior_state_on_refresh() {
    let s = service();
    let configure = |host: Dyn| {
        s.configure_provider(Request::new(pb::configure_provider::Request {
            config: dv(&[("host", host)]),
            ..Default::default()
        }))
    };
    let current = dv(&[("id", "id-gone".into()), ("name", "g".into())]);
    let read = || {
        s.read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: current.clone(),
            ..Default::default()
        }))
    };
    configure(Dyn::Unknown).await.unwrap();
    let kept = read().await.unwrap().into_inner();
    assert!(kept.diagnostics.is_empty());
    assert_eq!(decoded(kept.new_state), decoded(current.clone()));

    configure("http://known".into()).await.unwrap();
    let refreshed = read().await.unwrap().into_inner();
    assert!(decoded(refreshed.new_state).is_null());
}
