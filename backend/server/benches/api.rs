//! API benchmark: requests/s and p50/p99 latency of an authenticated GET with IP access lists
//! enforced, and of token creation, with 10k and 100k tokens stored. Prints figures only; it
//! never fails on time.
//!
//! Run: `cargo bench -p ironbrick --bench api` (env `BENCH_SECONDS`, default 5 per case;
//! `BENCH_CONCURRENCY`, default 16).

use ironbrick::model::{Principal, PrincipalKind, TokenScope};
use ironbrick::tokens::{self, NewToken};
use ironbrick_store::Store;
mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::{account_objects, call, drive, start, Server, ADMIN_TOKEN};

/// Creates a workspace with IP access lists enforced (an allow list holding loopback).
async fn workspace(http: &reqwest::Client, s: &Server) -> i64 {
    let acct = format!("{}/api/2.0/accounts/{}", s.host, s.account);
    let post = reqwest::Method::POST;
    let (cred, storage) = account_objects(http, s).await;
    let ws = call(
        http,
        post.clone(),
        &format!("{acct}/workspaces"),
        ADMIN_TOKEN,
        Some(json!({
            "workspace_name": "bench", "aws_region": "us-east-1",
            "credentials_id": cred, "storage_configuration_id": storage
        })),
    )
    .await;
    let id = ws["workspace_id"].as_i64().expect("workspace_id");
    let base = format!("{}/w/{id}/api/2.0", s.host);
    call(
        http,
        post,
        &format!("{base}/ip-access-lists"),
        ADMIN_TOKEN,
        Some(json!({
            "label": "loopback", "list_type": "ALLOW", "ip_addresses": ["127.0.0.0/8", "10.0.0.0/8"]
        })),
    )
    .await;
    call(
        http,
        reqwest::Method::PATCH,
        &format!("{base}/workspace-conf"),
        ADMIN_TOKEN,
        Some(json!({"enableIpAccessLists": "true"})),
    )
    .await;
    id
}

/// Stores `n` tokens in the workspace directly, in batches.
fn preload(store: &Store, ws: i64, n: usize) {
    let owner = Principal {
        id: 7,
        name: "load@ironbrick.local".into(),
        kind: PrincipalKind::User,
        admin: false,
    };
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let records: Vec<_> = chunk
            .iter()
            .map(|_| {
                let value = tokens::generate_value();
                tokens::record_for(
                    &value,
                    NewToken {
                        scope: TokenScope::Workspace(ws),
                        owner: owner.clone(),
                        created_by: owner.clone(),
                        comment: "preload".into(),
                        lifetime_seconds: None,
                    },
                )
            })
            .collect();
        store
            .transact(|tx| records.iter().try_for_each(|r| tokens::tx_insert(tx, r)))
            .expect("preload");
    }
    store.kv().flush().expect("flush");
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    println!("ironbrick API benchmark: {seconds}s per case, {concurrency} concurrent clients, sled store, fsync per write");
    println!(
        "{:>8} | {:<40} | {:>9} | {:>9} | {:>9}",
        "tokens", "operation", "req/s", "p50", "p99"
    );
    let mut baseline: Option<(f64, f64)> = None;
    for n in [10_000usize, 100_000] {
        let s = start(Duration::from_secs(300)).await;
        let ws = workspace(&http, &s).await;
        let t = Instant::now();
        preload(&s.store, ws, n);
        let load = t.elapsed();
        let base = format!("{}/w/{ws}/api/2.0", s.host);
        let minted = call(
            &http,
            reqwest::Method::POST,
            &format!("{base}/token/create"),
            ADMIN_TOKEN,
            Some(json!({"comment": "bench reader"})),
        )
        .await;
        let reader = minted["token_value"].as_str().expect("token").to_string();
        let get = drive(
            &http,
            reqwest::Method::GET,
            format!("{base}/preview/scim/v2/Me"),
            reader,
            None,
            seconds,
            concurrency,
        )
        .await;
        let create = drive(
            &http,
            reqwest::Method::POST,
            format!("{base}/token/create"),
            ADMIN_TOKEN.into(),
            Some(json!({"comment": "bench", "lifetime_seconds": 3600})),
            seconds,
            concurrency,
        )
        .await;
        for (name, f) in [
            ("GET scim/Me (token auth + IP lists on)", &get),
            ("POST token/create (durable)", &create),
        ] {
            println!(
                "{n:>8} | {name:<40} | {:>9.0} | {:>9.2?} | {:>9.2?}",
                f.rps, f.p50, f.p99
            );
        }
        println!("{n:>8} | (preloading {n} tokens took {load:.2?})");
        match baseline {
            None => baseline = Some((get.rps, create.rps)),
            Some((g, c)) => println!(
                "ratio 100k/10k: GET req/s x{:.2}, token create req/s x{:.2} (1.00 = cost independent of stored tokens)",
                get.rps / g,
                create.rps / c
            ),
        }
        s.task.abort();
    }
}
