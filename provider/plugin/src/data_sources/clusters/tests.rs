use super::*;
use tf_framework::{Dyn, Kind};

fn cluster(id: &str, name: Option<&str>) -> ClusterInfo {
    let mut v = serde_json::json!({"cluster_id": id, "state": "RUNNING"});
    if let Some(n) = name {
        v["cluster_name"] = n.into();
    }
    serde_json::from_value(v).expect("a cluster")
}

fn filter(states: &[&str]) -> Obj {
    let mut f = Obj::new();
    f.set(
        "cluster_states",
        states.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    f
}

#[test]
fn names_match_by_substring_ignoring_case() {
    assert!(name_matches("Shared Autoscaling", "autoscal"));
    assert!(name_matches("Shared Autoscaling", "SHARED"));
    assert!(name_matches("anything", ""));
    assert!(name_matches("", ""));
    assert!(!name_matches("Shared", "shared-"));
    assert!(!name_matches("", "x"));
}

#[test]
fn matching_ids_keep_the_listed_order_and_skip_unnamed_clusters() {
    let clusters = [
        cluster("c1", Some("Team A shared")),
        cluster("c2", Some("personal")),
        cluster("c3", None),
        cluster("c4", Some("SHARED jobs")),
    ];
    assert_eq!(matching_ids(&clusters, "shared"), ["c1", "c4"]);
    assert_eq!(matching_ids(&clusters, ""), ["c1", "c2", "c3", "c4"]);
    assert!(matching_ids(&clusters, "nothing").is_empty());
}

#[test]
fn filter_by_becomes_dotted_repeated_query_parameters() {
    assert!(filter_query(None).is_empty());
    assert!(filter_query(Some(&Obj::new())).is_empty());
    let mut f = filter(&["RUNNING", "PENDING"]);
    f.set("cluster_sources", vec!["API".to_owned(), "UI".to_owned()])
        .set("is_pinned", true)
        .set("policy_id", "P1");
    let q = filter_query(Some(&f));
    let want = [
        ("filter_by.cluster_sources", "API"),
        ("filter_by.cluster_sources", "UI"),
        ("filter_by.cluster_states", "RUNNING"),
        ("filter_by.cluster_states", "PENDING"),
        ("filter_by.is_pinned", "true"),
        ("filter_by.policy_id", "P1"),
    ];
    let want: Vec<(&str, String)> = want.iter().map(|(k, v)| (*k, v.to_string())).collect();
    assert_eq!(q, want);
}

#[test]
fn defaults_of_the_api_filter_nothing() {
    let mut f = Obj::new();
    f.set("is_pinned", false)
        .set("policy_id", "")
        .set("cluster_states", Dyn::Null);
    assert!(filter_query(Some(&f)).is_empty());
}

#[test]
fn unknown_cluster_states_are_refused_at_plan_time() {
    let ds = ClustersData(Arc::new(Conn::default()));
    let with = |states: &[&str]| {
        let mut cfg = Obj::new();
        cfg.set_block("filter_by", Some(filter(states)));
        let mut diags = Diagnostics::default();
        ds.validate(&cfg, &mut diags);
        diags.has_errors()
    };
    assert!(!with(&["RUNNING", "TERMINATED", "PENDING"]));
    assert!(with(&["RUNNING", "STARTED"]));
    assert!(with(&["running"]));
    let mut diags = Diagnostics::default();
    ds.validate(&Obj::new(), &mut diags);
    assert!(!diags.has_errors(), "no filter is valid");
}

#[test]
fn the_schema_has_the_official_shape() {
    let schema = ClustersData(Arc::new(Conn::default())).schema();
    let b = &schema.block;
    let ids = b.attr("ids").expect("ids");
    assert_eq!(ids.ty, Ty::set_of_strings());
    assert_eq!(ids.kind, Kind::OptionalComputed);
    assert!(b
        .attr("cluster_name_contains")
        .is_some_and(|a| a.kind == Kind::Optional));
    let filter = b
        .blocks
        .iter()
        .find(|n| n.name == "filter_by")
        .expect("filter_by");
    assert_eq!(filter.max_items, 1);
    for name in [
        "cluster_sources",
        "cluster_states",
        "is_pinned",
        "policy_id",
    ] {
        assert!(filter.block.attr(name).is_some(), "{name}");
    }
    assert!(b.blocks.iter().any(|n| n.name == "provider_config"));
}

fn page(ids: &[&str], next: Option<&str>) -> ListClustersResponse {
    ListClustersResponse {
        clusters: ids.iter().map(|id| cluster(id, Some(id))).collect(),
        next_page_token: next.map(str::to_owned),
        prev_page_token: None,
    }
}

#[tokio::test]
async fn every_page_is_read_following_the_tokens() {
    let mut asked = Vec::new();
    let got = all_pages(|token| {
        asked.push(token.clone());
        let answer = match token.as_deref() {
            None => page(&["a", "b"], Some("2")),
            Some("2") => page(&["c"], Some("3")),
            Some("3") => page(&["d"], Some("")),
            Some(other) => panic!("unexpected token {other}"),
        };
        async move { Ok::<_, String>(answer) }
    })
    .await
    .expect("all pages");
    let ids: Vec<_> = got.iter().map(|c| c.cluster_id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(asked, [None, Some("2".to_owned()), Some("3".to_owned())]);
}

#[tokio::test]
async fn a_failed_page_fails_the_listing() {
    let mut calls = 0;
    let got = all_pages(|token| {
        calls += 1;
        let answer = match token {
            None => Ok(page(&["a"], Some("2"))),
            Some(_) => Err("boom".to_owned()),
        };
        async move { answer }
    })
    .await;
    assert_eq!(got.unwrap_err(), "boom");
    assert_eq!(calls, 2);
}
