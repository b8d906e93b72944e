use super::*;

fn resource() -> ClusterPolicy {
    ClusterPolicy(Arc::new(Conn::default()))
}

fn obj(pairs: &[(&str, Dyn)]) -> Obj {
    let mut o = Obj::new();
    for (k, v) in pairs {
        o.set(k, v.clone());
    }
    Obj::from_dyn(&resource().schema().block.normalize(o.into())).expect("object")
}

fn errors(config: &Obj) -> String {
    let mut diags = Diagnostics::default();
    resource().validate(config, &mut diags);
    if diags.has_errors() {
        format!("{diags:?}")
    } else {
        String::new()
    }
}

const DEF: &str = r#"{"autotermination_minutes": {"type": "range", "maxValue": 60}}"#;

#[test]
fn valid_policies_pass() {
    let own = obj(&[("name", "a".into()), ("definition", DEF.into())]);
    assert_eq!(errors(&own), "");
    let family = obj(&[
        ("name", "Personal Compute".into()),
        ("policy_family_id", "personal-vm".into()),
        ("policy_family_definition_overrides", Dyn::Unknown),
        ("max_clusters_per_user", Dyn::Int(2)),
    ]);
    assert_eq!(errors(&family), "");
    let unknown_name = obj(&[("name", Dyn::Unknown)]);
    assert_eq!(errors(&unknown_name), "");
}

#[test]
fn mistakes_are_refused_at_plan_time() {
    let cases: [(&[(&str, Dyn)], &str); 7] = [
        (&[("definition", "{}".into())], "Missing name"),
        (&[("name", "".into())], "Invalid name"),
        (
            &[("name", "a".into()), ("definition", "{\"a\": ".into())],
            "definition is not valid JSON",
        ),
        (
            &[("name", "a".into()), ("definition", "[]".into())],
            "must be a JSON object",
        ),
        (
            &[
                ("name", "a".into()),
                ("definition", "{}".into()),
                ("policy_family_id", "personal-vm".into()),
            ],
            "definition cannot be used with policy_family_id",
        ),
        (
            &[
                ("name", "a".into()),
                ("policy_family_definition_overrides", "{}".into()),
            ],
            "Missing policy_family_id",
        ),
        (
            &[("name", "a".into()), ("max_clusters_per_user", Dyn::Int(0))],
            "greater than zero",
        ),
    ];
    for (config, expected) in cases {
        let e = errors(&obj(config));
        assert!(e.contains(expected), "{expected}: {e}");
    }
}

fn plan(prior: Obj, config: Obj) -> Obj {
    let mut req = PlanRequest {
        prior: Some(prior),
        planned: config.clone(),
        config,
    };
    resource().modify_plan(&mut req, &mut Diagnostics::default());
    req.planned
}

#[test]
fn a_definition_written_differently_plans_no_change() {
    let stored = r#"{"autotermination_minutes":{"maxValue":60,"type":"range"}}"#;
    let prior = obj(&[
        ("id", "P1".into()),
        ("name", "a".into()),
        ("definition", stored.into()),
    ]);
    let config = obj(&[
        ("id", "P1".into()),
        ("name", "a".into()),
        ("definition", DEF.into()),
    ]);
    assert_eq!(plan(prior.clone(), config).str("definition"), stored);
    let changed = r#"{"autotermination_minutes": {"type": "range", "maxValue": 30}}"#;
    let config = obj(&[
        ("id", "P1".into()),
        ("name", "a".into()),
        ("definition", changed.into()),
    ]);
    assert_eq!(plan(prior, config).str("definition"), changed);
}

#[test]
fn an_inherited_definition_is_unknown_when_the_overrides_change() {
    let prior = obj(&[
        ("name", "p".into()),
        ("policy_family_id", "personal-vm".into()),
        ("policy_family_definition_overrides", "{}".into()),
        (
            "definition",
            r#"{"num_workers":{"type":"fixed","value":0}}"#.into(),
        ),
    ]);
    let mut config = prior.clone();
    config.set("definition", Dyn::Null);
    let mut same = config.clone();
    same.set("definition", prior.get("definition").clone());
    config.set(
        "policy_family_definition_overrides",
        r#"{"autotermination_minutes": {"type": "fixed", "value": 30}}"#,
    );
    // Terraform proposes the prior value of an unset computed argument
    let mut proposed = config.clone();
    proposed.set("definition", prior.get("definition").clone());
    let mut req = PlanRequest {
        prior: Some(prior.clone()),
        config,
        planned: proposed,
    };
    resource().modify_plan(&mut req, &mut Diagnostics::default());
    assert!(req.planned.get("definition").is_unknown());
    let mut req = PlanRequest {
        prior: Some(prior.clone()),
        config: {
            let mut c = same.clone();
            c.set("definition", Dyn::Null);
            c
        },
        planned: same,
    };
    resource().modify_plan(&mut req, &mut Diagnostics::default());
    assert_eq!(req.planned.get("definition"), prior.get("definition"));
}

#[test]
fn requests_carry_every_argument_and_state_keeps_the_configured_text() {
    let planned = obj(&[
        ("name", "a".into()),
        ("description", "d".into()),
        ("definition", DEF.into()),
        ("max_clusters_per_user", Dyn::Int(3)),
    ]);
    let req = request(&planned, Some("P1".into()));
    assert_eq!(req.policy_id.as_deref(), Some("P1"));
    assert_eq!(req.definition.as_deref(), Some(DEF));
    assert_eq!(req.max_clusters_per_user, Some(3));
    assert_eq!(req.libraries, None);
    let api = Policy {
        policy_id: "P1".into(),
        name: "a".into(),
        description: Some("d".into()),
        definition: Some(r#"{"autotermination_minutes":{"type":"range","maxValue":60.0}}"#.into()),
        max_clusters_per_user: Some(3),
        ..Policy::default()
    };
    let st = state(planned, api);
    assert_eq!(st.str("definition"), DEF);
    assert_eq!(st.str("id"), "P1");
    assert_eq!(st.str("policy_id"), "P1");
    let family = obj(&[
        ("name", "p".into()),
        ("policy_family_id", "personal-vm".into()),
        ("definition", Dyn::Unknown),
    ]);
    assert_eq!(request(&family, None).definition, None);
}

#[test]
fn imports_name_the_policy_and_its_workspace() {
    let mut diags = Diagnostics::default();
    let o = resource().import("12/ABC", &mut diags).expect("imported");
    assert_eq!(policy_id(&o), "ABC");
    assert_eq!(
        o.block("provider_config")
            .and_then(|pc| pc.opt_str("workspace_id"))
            .as_deref(),
        Some("12")
    );
}
