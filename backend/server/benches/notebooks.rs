//! Notebook benchmark: what envelope encryption costs notebooks end to end, and how often it
//! calls KMS. Prints figures only; it never fails on time.
//!
//! 1. Import and export throughput (MB/s of notebook content) through the real HTTP handlers
//!    (`POST /workspace/import` with base64 JSON, `GET /workspace/export?format=SOURCE`), over
//!    loopback TCP with one sequential client, on the sled store in a tempdir (every import is
//!    flushed to disk before it is answered), in a workspace whose managed-services
//!    customer-managed key lives in the local KMS. Payloads: 4 KiB, 64 KiB, 1 MiB, 10 MiB. Next
//!    to each figure: raw AES-256-GCM seal/open of the same payload size measured in the same
//!    run, and the ratio api/raw. The API figure includes HTTP, JSON and base64 (server-side
//!    decode on import, encode on export), the store write and fsync, and the audit log; the
//!    client sends a request body built once and reads the export answer to the end without
//!    decoding it.
//! 2. KMS calls (read from `/metrics` before and after) per 10,000 notebook operations (half
//!    imports, half exports, 20 concurrent clients) inside one DEK-cache TTL window, in fresh
//!    workspaces whose keys are not cached yet: for 1 and for 10 workspaces. The target is one
//!    unwrap per workspace.
//!
//! Run: `cargo bench -p ironbrick --bench notebooks` (env `BENCH_SECONDS`, default 3: the time
//! cap of each import/export case).

mod support;

use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use ironbrick_kms::LocalKms;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::{account_objects, call, start, Server, ADMIN_TOKEN};

/// The DEK-cache TTL of the server; the whole run fits in one window.
const TTL: Duration = Duration::from_secs(300);
const SIZES: [(usize, &str); 4] = [
    (4 << 10, "4 KiB"),
    (64 << 10, "64 KiB"),
    (1 << 20, "1 MiB"),
    (10 << 20, "10 MiB"),
];
const OPS: usize = 10_000;
const CLIENTS: usize = 20;

/// Account objects shared by the workspaces of one server.
struct Setup {
    credentials_id: Value,
    storage_configuration_id: Value,
    key_id: Value,
}

async fn setup(http: &reqwest::Client, s: &Server) -> Setup {
    let acct = format!("{}/api/2.0/accounts/{}", s.host, s.account);
    // What `ironbrick kms create-key` does: a key in the data dir's local KMS.
    let key_arn = LocalKms::open(&s.dir.path().join("kms"))
        .expect("local kms")
        .create_key("us-east-1")
        .expect("create key");
    let (credentials_id, storage_configuration_id) = account_objects(http, s).await;
    let key = call(
        http,
        reqwest::Method::POST,
        &format!("{acct}/customer-managed-keys"),
        ADMIN_TOKEN,
        Some(json!({"aws_key_info": {"key_arn": key_arn}, "use_cases": ["MANAGED_SERVICES"]})),
    )
    .await;
    Setup {
        credentials_id,
        storage_configuration_id,
        key_id: key["customer_managed_key_id"].clone(),
    }
}

/// Creates a workspace whose notebooks are sealed under the customer-managed key; returns the
/// base URL of its API.
async fn workspace(http: &reqwest::Client, s: &Server, setup: &Setup, name: &str) -> String {
    let ws = call(
        http,
        reqwest::Method::POST,
        &format!("{}/api/2.0/accounts/{}/workspaces", s.host, s.account),
        ADMIN_TOKEN,
        Some(json!({
            "workspace_name": name, "aws_region": "us-east-1",
            "credentials_id": setup.credentials_id,
            "storage_configuration_id": setup.storage_configuration_id,
            "managed_services_customer_managed_key_id": setup.key_id,
        })),
    )
    .await;
    assert_eq!(
        ws["managed_services_customer_managed_key_id"], setup.key_id,
        "workspace has the CMK"
    );
    let id = ws["workspace_id"].as_i64().expect("workspace_id");
    format!("{}/w/{id}/api/2.0", s.host)
}

/// A Python notebook source of exactly `size` bytes.
fn notebook(size: usize) -> Vec<u8> {
    let mut out = b"# Databricks notebook source\n".to_vec();
    let mut i = 0u64;
    while out.len() < size {
        out.extend_from_slice(
            format!("df_{i} = spark.range({i}).withColumn('x', col('id') * {i})\n").as_bytes(),
        );
        i += 1;
    }
    out.truncate(size);
    out
}

fn import_body(path: &str, content: &[u8]) -> bytes::Bytes {
    bytes::Bytes::from(
        json!({
            "path": path, "format": "SOURCE", "language": "PYTHON", "overwrite": true,
            "content": base64::engine::general_purpose::STANDARD.encode(content),
        })
        .to_string(),
    )
}

async fn import(http: &reqwest::Client, base: &str, body: bytes::Bytes) {
    let resp = http
        .post(format!("{base}/workspace/import"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("send import");
    let status = resp.status();
    let text = resp.bytes().await.expect("import answer");
    assert!(
        status.is_success(),
        "import: {status} {}",
        String::from_utf8_lossy(&text)
    );
}

async fn export(http: &reqwest::Client, url: &str) -> bytes::Bytes {
    let resp = http
        .get(url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("send export");
    let status = resp.status();
    let body = resp.bytes().await.expect("export answer");
    assert!(
        status.is_success(),
        "export: {status} {}",
        String::from_utf8_lossy(&body)
    );
    body
}

fn mbps(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64()
}

/// Throughput and median latency of `n` runs of one case.
struct Figures {
    mbps: f64,
    p50: Duration,
    n: usize,
}

fn figures(size: usize, mut lat: Vec<Duration>) -> Figures {
    let total: Duration = lat.iter().sum();
    lat.sort();
    Figures {
        mbps: mbps(size * lat.len(), total),
        p50: lat[lat.len() / 2],
        n: lat.len(),
    }
}

/// How many API runs a case gets: about 128 MiB of content, at least 10, at most 2,000 (the
/// caller also stops a case after `BENCH_SECONDS` once it has 3 runs).
fn api_iterations(size: usize) -> usize {
    ((128usize << 20) / size).clamp(10, 2_000)
}

/// Raw AES-256-GCM seal and open throughput, as in `ironbrick-kms`'s envelope bench.
fn raw_aes(data: &[u8]) -> (f64, f64) {
    let n = ((256usize << 20) / data.len()).clamp(8, 20_000);
    let raw = Aes256Gcm::new(&[7u8; 32].into());
    let nonce = Nonce::from_slice(&[1u8; 12]);
    let t = Instant::now();
    let mut ct = Vec::new();
    for _ in 0..n {
        ct = raw.encrypt(nonce, data).expect("seal");
    }
    let seal = t.elapsed();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(raw.decrypt(nonce, ct.as_slice()).expect("open"));
    }
    let open = t.elapsed();
    (mbps(data.len() * n, seal), mbps(data.len() * n, open))
}

/// KMS counters scraped from `/metrics`: (generate_data_key, unwrap, cache hits, cache misses).
#[derive(Debug, Clone, Copy)]
struct Counters {
    generate: u64,
    unwrap: u64,
    hits: u64,
    misses: u64,
}

async fn counters(http: &reqwest::Client, host: &str) -> Counters {
    let text = http
        .get(format!("{host}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body");
    let sum = |prefix: &str| -> u64 {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .map(|l| {
                l.rsplit(' ')
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .expect("counter value")
            })
            .sum()
    };
    Counters {
        generate: sum("ironbrick_kms_requests_total{op=\"generate_data_key\""),
        unwrap: sum("ironbrick_kms_requests_total{op=\"unwrap\""),
        hits: sum("ironbrick_dek_cache_lookups_total{outcome=\"hit\"}"),
        misses: sum("ironbrick_dek_cache_lookups_total{outcome=\"miss\"}"),
    }
}

/// Runs `OPS` notebook operations over `bases` (fresh workspaces) with `CLIENTS` concurrent
/// clients: client `c` works in workspace `c % bases.len()` on its own notebook, alternating
/// import and export (starting with an import). Returns the elapsed time.
async fn mixed_ops(http: &reqwest::Client, bases: &[String]) -> Duration {
    let content = notebook(4 << 10);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let http = http.clone();
            let base = bases[c % bases.len()].clone();
            let path = format!("/Shared/kms-{c}");
            let body = import_body(&path, &content);
            tokio::spawn(async move {
                let url = format!("{base}/workspace/export?path={path}&format=SOURCE");
                for i in 0..OPS / CLIENTS {
                    if i % 2 == 0 {
                        import(&http, &base, body.clone()).await;
                    } else {
                        export(&http, &url).await;
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("client");
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let cap = Duration::from_secs(
        std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3),
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    let s = start(TTL).await;
    let setup = setup(&http, &s).await;
    let base = workspace(&http, &s, &setup, "bench-throughput").await;

    println!(
        "ironbrick notebook benchmark: sled store in a tempdir (flush per write), workspace with a \
         managed-services CMK (local KMS), 1 sequential client over loopback, cap {cap:?} per case"
    );
    println!(
        "{:>7} | {:>5} | {:>11} | {:>9} | {:>13} | {:>6} || {:>5} | {:>11} | {:>9} | {:>13} | {:>6}",
        "size",
        "n",
        "import MB/s",
        "p50",
        "raw seal MB/s",
        "ratio",
        "n",
        "export MB/s",
        "p50",
        "raw open MB/s",
        "ratio"
    );
    for (size, label) in SIZES {
        let content = notebook(size);
        let path = format!("/Shared/bench-{size}");
        let body = import_body(&path, &content);
        let url = format!("{base}/workspace/export?path={path}&format=SOURCE");
        // Warm-up: creates the notebook, checks the round trip, opens the connection.
        import(&http, &base, body.clone()).await;
        let answer: Value = serde_json::from_slice(&export(&http, &url).await).expect("json");
        let back = base64::engine::general_purpose::STANDARD
            .decode(answer["content"].as_str().expect("content"))
            .expect("base64");
        assert!(back == content, "export returns what was imported");

        let n = api_iterations(size);
        let mut lat = Vec::with_capacity(n);
        let started = Instant::now();
        while lat.len() < n && (lat.len() < 3 || started.elapsed() < cap) {
            let t = Instant::now();
            import(&http, &base, body.clone()).await;
            lat.push(t.elapsed());
        }
        let imp = figures(size, lat);
        let mut lat = Vec::with_capacity(n);
        let started = Instant::now();
        while lat.len() < n && (lat.len() < 3 || started.elapsed() < cap) {
            let t = Instant::now();
            std::hint::black_box(export(&http, &url).await);
            lat.push(t.elapsed());
        }
        let exp = figures(size, lat);
        let (raw_seal, raw_open) = raw_aes(&content);
        println!(
            "{label:>7} | {:>5} | {:>11.1} | {:>9.2?} | {raw_seal:>13.0} | {:>6.3} || {:>5} | {:>11.1} | {:>9.2?} | {raw_open:>13.0} | {:>6.3}",
            imp.n,
            imp.mbps,
            imp.p50,
            imp.mbps / raw_seal,
            exp.n,
            exp.mbps,
            exp.p50,
            exp.mbps / raw_open,
        );
    }

    println!();
    println!(
        "KMS calls per {OPS} notebook operations (4 KiB, half imports / half exports, {CLIENTS} \
         concurrent clients) in fresh CMK workspaces, one DEK-cache TTL window ({TTL:?}):"
    );
    println!(
        "{:>10} | {:>6} | {:>17} | {:>7} | {:>9} | {:>10} | {:>11} | {:>8}",
        "workspaces",
        "unwrap",
        "generate_data_key",
        "total",
        "per ws",
        "cache hit",
        "cache miss",
        "ops/s"
    );
    for count in [1usize, 10] {
        let mut bases = Vec::with_capacity(count);
        for i in 0..count {
            bases.push(workspace(&http, &s, &setup, &format!("bench-kms-{count}-{i}")).await);
        }
        let before = counters(&http, &s.host).await;
        let elapsed = mixed_ops(&http, &bases).await;
        let after = counters(&http, &s.host).await;
        let unwrap = after.unwrap - before.unwrap;
        let generate = after.generate - before.generate;
        println!(
            "{count:>10} | {unwrap:>6} | {generate:>17} | {:>7} | {:>9.2} | {:>10} | {:>11} | {:>8.0}",
            unwrap + generate,
            (unwrap + generate) as f64 / count as f64,
            after.hits - before.hits,
            after.misses - before.misses,
            OPS as f64 / elapsed.as_secs_f64(),
        );
    }
    println!("(workspace creation itself makes one generate_data_key call each; it is outside the counted window)");
    s.task.abort();
}
