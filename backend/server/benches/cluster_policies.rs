//! Cluster-policy benchmark: how fast cluster specifications are judged against a policy of 50
//! rules (fixed and hidden values, defaults, allowlists, regexes, ranges on nested paths, map
//! keys, `dbus_per_hour`, `cluster_type`).
//!
//! - in process, one thread: completion and checking of one specification (the work of
//!   `clusters/create` before anything is stored), admitted and refused;
//! - over loopback HTTP on the sled store, `BENCH_CONCURRENCY` clients for `BENCH_SECONDS`:
//!   `POST /api/2.1/clusters/create` under the policy (each admitted create is stored, with
//!   its event and ACL), and creates the policy refuses (every violated path named; nothing
//!   is stored).
//!
//! Run: `cargo bench -p ironbrick --bench cluster_policies`. Env: `BENCH_SECONDS` (default 5),
//! `BENCH_CONCURRENCY` (8), `BENCH_ITERATIONS` (in-process, 20000). Short pass:
//! `BENCH_SECONDS=1 BENCH_ITERATIONS=500`.

mod support;

use ironbrick::compute::clusters::admit::enforce;
use ironbrick::compute::rules::Definition;
use ironbrick_api::compute::{ClusterSpec, Policy};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};
use support::{account_objects, call, drive, start, ADMIN_TOKEN};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

/// A definition of exactly 50 rules.
fn definition() -> Value {
    let mut rules = Map::new();
    for i in 0..20 {
        rules.insert(
            format!("spark_conf.spark.bench.fixed{i}"),
            json!({"type": "fixed", "value": format!("v{i}"), "hidden": i % 2 == 0}),
        );
    }
    for i in 0..10 {
        rules.insert(
            format!("custom_tags.tag{i}"),
            json!({"type": "unlimited", "defaultValue": format!("d{i}"), "isOptional": true}),
        );
    }
    for i in 0..10 {
        rules.insert(
            format!("spark_env_vars.BENCH_{i}"),
            json!({"type": "regex", "pattern": "^[a-z]+$", "defaultValue": "abc"}),
        );
    }
    let rest = json!({
        "node_type_id": {"type": "allowlist", "values": ["i3.xlarge", "i3.2xlarge", "m5d.large"]},
        "driver_node_type_id": {"type": "allowlist", "values": ["i3.xlarge", "i3.2xlarge"], "isOptional": true},
        "spark_version": {"type": "regex", "pattern": "1[4-6]\\..*-scala2\\.12"},
        "autoscale.min_workers": {"type": "range", "minValue": 1, "maxValue": 4, "defaultValue": 1},
        "autoscale.max_workers": {"type": "range", "maxValue": 20, "defaultValue": 8},
        "autotermination_minutes": {"type": "range", "minValue": 10, "maxValue": 120, "defaultValue": 60},
        "aws_attributes.availability": {"type": "allowlist", "values": ["SPOT_WITH_FALLBACK", "ON_DEMAND"], "defaultValue": "SPOT_WITH_FALLBACK"},
        "aws_attributes.first_on_demand": {"type": "range", "minValue": 1, "defaultValue": 1},
        "dbus_per_hour": {"type": "range", "maxValue": 50},
        "cluster_type": {"type": "allowlist", "values": ["all-purpose", "job"]},
    });
    rules.extend(rest.as_object().cloned().unwrap_or_default());
    assert_eq!(rules.len(), 50, "the benchmark's policy has 50 rules");
    Value::Object(rules)
}

fn admitted_spec() -> ClusterSpec {
    json!({"cluster_name": "bench", "spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge",
           "autoscale": {"min_workers": 2, "max_workers": 10}, "custom_tags": {"team": "bench"}})
    .as_object()
    .cloned()
    .unwrap_or_default()
}

fn refused_spec() -> ClusterSpec {
    let mut s = admitted_spec();
    s.insert("node_type_id".into(), json!("r5d.4xlarge"));
    s.insert(
        "autoscale".into(),
        json!({"min_workers": 1, "max_workers": 40}),
    );
    s.insert("spark_conf".into(), json!({"spark.bench.fixed3": "other"}));
    s
}

/// Judges `spec` `n` times; returns (judgements per second, whether it was admitted).
fn in_process(policy: &Policy, def: &Definition, spec: &ClusterSpec, n: usize) -> (f64, bool) {
    let started = Instant::now();
    let mut admitted = false;
    for _ in 0..n {
        let mut attributes = spec.clone();
        admitted = enforce(policy, def, &mut attributes, true).is_ok();
    }
    (n as f64 / started.elapsed().as_secs_f64(), admitted)
}

/// Sends refused creates from `concurrency` clients for `seconds`; every answer must be 400
/// naming the violated paths. Returns refusals per second.
async fn refusals(
    http: &reqwest::Client,
    url: &str,
    body: Value,
    seconds: u64,
    concurrency: usize,
) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, body) = (http.clone(), url.to_owned(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while Instant::now() < deadline {
                let r = http
                    .post(&url)
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&body)
                    .send()
                    .await
                    .expect("send");
                assert_eq!(r.status(), 400);
                let text = r.text().await.expect("body");
                assert!(
                    text.contains("node_type_id") && text.contains("spark_conf.spark.bench.fixed3")
                );
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let seconds: u64 = env("BENCH_SECONDS", 5);
    let concurrency: usize = env("BENCH_CONCURRENCY", 8);
    let iterations: usize = env("BENCH_ITERATIONS", 20_000);
    let text = definition().to_string();
    let def = Definition::parse(&text).expect("definition");
    let policy = Policy {
        policy_id: "bench".into(),
        name: "bench".into(),
        definition: Some(text.clone()),
        ..Policy::default()
    };
    println!(
        "cluster-policy benchmark: a policy of {} rules, {} cores",
        def.rules.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let (ok_rate, ok) = in_process(&policy, &def, &admitted_spec(), iterations);
    let (bad_rate, bad) = in_process(&policy, &def, &refused_spec(), iterations);
    assert!(
        ok && !bad,
        "the admitted spec passes and the refused one fails"
    );
    println!(
        "in process, 1 thread: admitted {ok_rate:>9.0} validations/s ({:.1} µs each)",
        1e6 / ok_rate
    );
    println!(
        "in process, 1 thread: refused  {bad_rate:>9.0} validations/s ({:.1} µs each)",
        1e6 / bad_rate
    );

    let s = start(Duration::from_secs(300)).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let (cred, storage) = account_objects(&http, &s).await;
    let ws = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/api/2.0/accounts/{}/workspaces", s.host, s.account),
        ADMIN_TOKEN,
        Some(json!({"workspace_name": "bench", "aws_region": "us-east-1",
                    "credentials_id": cred, "storage_configuration_id": storage})),
    )
    .await["workspace_id"]
        .as_i64()
        .expect("workspace id");
    let api = format!("{}/w/{ws}/api", s.host);
    let created = call(
        &http,
        reqwest::Method::POST,
        &format!("{api}/2.0/policies/clusters/create"),
        ADMIN_TOKEN,
        Some(json!({"name": "bench", "definition": text})),
    )
    .await;
    let policy_id = created["policy_id"].clone();
    let create = format!("{api}/2.1/clusters/create");
    let mut body = Value::Object(admitted_spec());
    body["policy_id"] = policy_id.clone();
    let f = drive(
        &http,
        reqwest::Method::POST,
        create.clone(),
        ADMIN_TOKEN.to_owned(),
        Some(body),
        seconds,
        concurrency,
    )
    .await;
    println!(
        "HTTP create, admitted and stored, {concurrency} clients: {:>7.0} creates/s (p50 {:.2} ms, p99 {:.2} ms)",
        f.rps,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3
    );
    let mut refused = Value::Object(refused_spec());
    refused["policy_id"] = policy_id;
    let rate = refusals(&http, &create, refused, seconds, concurrency).await;
    println!("HTTP create, refused by the policy, {concurrency} clients: {rate:>7.0} refusals/s");
    s.task.abort();
}
