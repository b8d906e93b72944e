//! Identity benchmark: does the cost of a request grow with the number of principals?
//!
//! One workspace on the sled store, served over loopback TCP, holding
//! - 1000 account groups nested 3 deep: 250 chains `top ⊃ mid ⊃ low ⊃ leaf`, each chain's top
//!   group assigned `USER` to the workspace, so every user reaches the workspace through three
//!   levels of nesting;
//! - U users spread over the leaf groups (U grows in place, default 1k then 10k, so groups,
//!   notebooks and ACLs stay the same);
//! - the measured caller: a plain user (not an admin) in one leaf group only, with a PAT;
//! - 10k notebooks in 100 directories of 100 under `/bench`, imported over HTTP by the admin,
//!   each with an ACL (Permissions API `PATCH`) granting CAN_READ to one group; the directory the
//!   caller lists grants CAN_READ to the caller's top group, and its notebooks to the caller's
//!   leaf, low, mid or top group in turn.
//!
//! Measured with N concurrent clients, best of `BENCH_ROUNDS` rounds of `BENCH_SECONDS` per case
//! (the machine is shared; the best round shows the least foreign load), as the caller:
//! `GET scim/v2/Me` (token authentication and identity resolution through the nested groups)
//! and `GET workspace/list` of its directory (every notebook's ACL evaluated); and before any
//! extra principal exists, `GET scim/v2/Me` as the account admin (today's figure). Each case
//! also shows the process's CPU time per request (server and clients together), which other
//! load on the machine moves less than req/s. Next to them, measured in process one request at
//! a time (best of 10 batches, so foreign load shows as little as possible): the same GETs
//! through the server's router (no TCP, no client), and [`subject::resolve`] of the caller
//! alone, the part of every request that could depend on the number of principals.
//! Principals, groups and memberships are written straight through the identity core in
//! batches. Prints figures and the ratios between the largest and the smallest U (1.00:
//! independent of the number of principals); it never fails on time.
//!
//! Run: `cargo bench -p ironbrick --bench identity`. Env: `BENCH_SECONDS` (default 5),
//! `BENCH_ROUNDS` (3), `BENCH_CONCURRENCY` (16), `BENCH_USERS` (`1000,10000`),
//! `BENCH_NOTEBOOKS` (10000, spread over 100 directories). Short pass:
//! `BENCH_SECONDS=1 BENCH_ROUNDS=1 BENCH_USERS=200,2000 BENCH_NOTEBOOKS=1000`.

mod support;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::Request;
use axum::Router;
use http_body_util::BodyExt;
use ironbrick::error::ApiError;
use ironbrick::identity::records::WorkspacePermission;
use ironbrick::identity::{directory, seed, subject, Kind, Scope};
use ironbrick::model::TokenScope;
use ironbrick::state::{AppState, Settings};
use ironbrick::tokens::{self, NewToken};
use ironbrick_store::Store;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::{account_objects, call, drive, start, Figures, Server, ADMIN_TOKEN};
use tower::ServiceExt;

/// Chains of nested groups (4 groups each: 1000 groups).
const CHAINS: usize = 250;
const LEVELS: [&str; 4] = ["top", "mid", "low", "leaf"];
/// The chain the caller's leaf group belongs to.
const CALLER_CHAIN: usize = 0;
/// Directories of notebooks, and the one the caller lists.
const DIRS: usize = 100;
const LISTED: usize = 7;
/// Principals written per transaction.
const BATCH: usize = 1000;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

fn group_name(chain: usize, level: usize) -> String {
    format!("bench-c{chain:03}-{}", LEVELS[level])
}

fn dir_path(d: usize) -> String {
    format!("/bench/d{d:03}")
}

/// A workspace of the account (no IP access lists); returns its id.
async fn workspace(http: &reqwest::Client, s: &Server) -> i64 {
    let (cred, storage) = account_objects(http, s).await;
    let ws = call(
        http,
        reqwest::Method::POST,
        &format!("{}/api/2.0/accounts/{}/workspaces", s.host, s.account),
        ADMIN_TOKEN,
        Some(json!({
            "workspace_name": "bench", "aws_region": "us-east-1",
            "credentials_id": cred, "storage_configuration_id": storage
        })),
    )
    .await;
    ws["workspace_id"].as_i64().expect("workspace_id")
}

/// Writes the 250 chains of nested groups and assigns each top group to `ws`; returns the ids
/// per chain, top first.
fn seed_groups(store: &Store, ws: i64) -> Vec<[i64; 4]> {
    let chains: Vec<[i64; 4]> = (0..CHAINS)
        .map(|_| std::array::from_fn(|_| directory::new_id()))
        .collect();
    let user = seed::assignment_of(WorkspacePermission::User);
    for (b, batch) in chains.chunks(50).enumerate() {
        store
            .transact(|tx| {
                for (i, ids) in batch.iter().enumerate() {
                    let c = b * 50 + i;
                    for (level, id) in ids.iter().enumerate() {
                        let name = group_name(c, level);
                        let g = seed::principal(*id, Kind::Group, &name, &name);
                        directory::tx_insert(tx, Scope::Account, &g)?;
                    }
                    for level in 1..LEVELS.len() {
                        directory::tx_add_member(tx, Scope::Account, ids[level - 1], ids[level])?;
                    }
                    directory::tx_assign(tx, ws, ids[0], &user)?;
                }
                Ok::<_, ApiError>(())
            })
            .expect("seed groups");
    }
    store.kv().flush().expect("flush");
    chains
}

/// Writes users `from..to`, user `i` a member of the leaf group of chain `i % 250`.
fn seed_users(store: &Store, chains: &[[i64; 4]], from: usize, to: usize) {
    let all: Vec<usize> = (from..to).collect();
    for batch in all.chunks(BATCH) {
        let users: Vec<_> = batch
            .iter()
            .map(|i| {
                let name = format!("user{i:06}@bench.local");
                (
                    seed::principal(directory::new_id(), Kind::User, &name, &name),
                    chains[i % CHAINS][3],
                )
            })
            .collect();
        store
            .transact(|tx| {
                for (u, leaf) in &users {
                    directory::tx_insert(tx, Scope::Account, u)?;
                    directory::tx_add_member(tx, Scope::Account, *leaf, u.id)?;
                }
                Ok::<_, ApiError>(())
            })
            .expect("seed users");
    }
    store.kv().flush().expect("flush");
}

/// The caller: a plain user in the leaf group of [`CALLER_CHAIN`] only; returns its id and PAT.
fn seed_caller(store: &Store, ws: i64, chains: &[[i64; 4]]) -> (i64, String) {
    let name = "caller@bench.local";
    let p = seed::principal(directory::new_id(), Kind::User, name, name);
    store
        .transact(|tx| {
            directory::tx_insert(tx, Scope::Account, &p)?;
            directory::tx_add_member(tx, Scope::Account, chains[CALLER_CHAIN][3], p.id)
        })
        .expect("seed caller");
    let (value, _) = tokens::mint(
        store,
        NewToken {
            scope: TokenScope::Workspace(ws),
            owner: p.reference(),
            created_by: p.reference(),
            comment: "bench caller".into(),
            lifetime_seconds: None,
        },
    )
    .expect("mint");
    store.kv().flush().expect("flush");
    (p.id, value.0)
}

/// Runs `f` on every item from `clients` concurrent clients (client `c` takes every
/// `clients`-th item, in order).
async fn fan_out<T, F, Fut>(items: Vec<T>, clients: usize, f: F)
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let mut lanes: Vec<Vec<T>> = (0..clients.max(1)).map(|_| Vec::new()).collect();
    let n = lanes.len();
    for (i, item) in items.into_iter().enumerate() {
        lanes[i % n].push(item);
    }
    let tasks: Vec<_> = lanes
        .into_iter()
        .map(|lane| {
            let f = f.clone();
            tokio::spawn(async move {
                for item in lane {
                    f(item).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("client");
    }
}

/// `(path, object_id)` of what the admin sees in directory `path`.
async fn listing(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
) -> Vec<(String, i64)> {
    let answer = call(
        http,
        reqwest::Method::GET,
        &format!("{base}/workspace/list?path={path}"),
        token,
        None,
    )
    .await;
    answer["objects"]
        .as_array()
        .map(|objects| {
            objects
                .iter()
                .map(|o| {
                    (
                        o["path"].as_str().expect("path").to_string(),
                        o["object_id"].as_i64().expect("object_id"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What setting the notebooks up took.
struct NotebookTimings {
    imported: usize,
    import: Duration,
    acls: Duration,
}

/// Creates the directories and notebooks as the admin, then sets their ACLs through the
/// Permissions API, `clients` at a time.
async fn seed_notebooks(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    per_dir: usize,
    clients: usize,
) -> NotebookTimings {
    let t = Instant::now();
    let dirs: Vec<String> = (0..DIRS).map(dir_path).collect();
    let (h, b, a) = (http.clone(), base.to_string(), admin.to_string());
    let post = move |path: &'static str, body: Value| {
        let (h, b, a) = (h.clone(), b.clone(), a.clone());
        async move {
            call(
                &h,
                reqwest::Method::POST,
                &format!("{b}{path}"),
                &a,
                Some(body),
            )
            .await;
        }
    };
    let mkdirs = post.clone();
    fan_out(dirs, clients, move |dir| {
        mkdirs("/workspace/mkdirs", json!({ "path": dir }))
    })
    .await;
    let notebooks: Vec<String> = (0..DIRS * per_dir)
        .map(|n| format!("{}/nb{:03}", dir_path(n / per_dir), n % per_dir))
        .collect();
    let imported = notebooks.len();
    let content = base64_of("# Databricks notebook source\nprint('bench')\n");
    fan_out(notebooks, clients, move |path| {
        post(
            "/workspace/import",
            json!({"path": path, "format": "SOURCE", "language": "PYTHON", "content": content}),
        )
    })
    .await;
    let import = t.elapsed();

    // Object ids, then one ACL per notebook and per directory.
    let t = Instant::now();
    let mut patches: Vec<(String, String)> = Vec::new();
    for (d, (path, id)) in listing(http, base, admin, "/bench")
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(path, dir_path(d), "directories listed in order");
        let chain = if d == LISTED {
            CALLER_CHAIN
        } else {
            other_chain(d)
        };
        patches.push((format!("directories/{id}"), group_name(chain, 0)));
        for (j, (_, id)) in listing(http, base, admin, &path)
            .await
            .into_iter()
            .enumerate()
        {
            let (chain, level) = if d == LISTED {
                (CALLER_CHAIN, j % 4)
            } else {
                (other_chain(d * per_dir + j), j % 4)
            };
            patches.push((format!("notebooks/{id}"), group_name(chain, level)));
        }
    }
    assert_eq!(patches.len(), DIRS + imported, "every object listed");
    let (h, b, a) = (http.clone(), base.to_string(), admin.to_string());
    fan_out(patches, clients, move |(object, group)| {
        let (h, b, a) = (h.clone(), b.clone(), a.clone());
        async move {
            call(
                &h,
                reqwest::Method::PATCH,
                &format!("{b}/permissions/{object}"),
                &a,
                Some(json!({"access_control_list": [
                    {"group_name": group, "permission_level": "CAN_READ"}
                ]})),
            )
            .await;
        }
    })
    .await;
    NotebookTimings {
        imported,
        import,
        acls: t.elapsed(),
    }
}

/// A chain other than the caller's.
fn other_chain(n: usize) -> usize {
    1 + n % (CHAINS - 1)
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Mean time of one [`subject::resolve`] of `caller` in process (no HTTP): the best of 20
/// batches of 500 calls, so other load on the machine shows as little as possible.
fn resolve_cost(store: &Store, caller: i64, ws: i64) -> Duration {
    (0..20)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..500 {
                let s = subject::resolve(store, caller, ws).expect("resolve");
                assert_eq!(s.groups.len(), 5, "4 nested groups and users");
            }
            t.elapsed() / 500
        })
        .min()
        .expect("batches")
}

/// The server's router on the same store, driven in process: no TCP, no HTTP parsing, no
/// client, one request at a time.
fn router(s: &Server) -> Router {
    let settings = Settings {
        public_url: s.host.clone(),
        provisioning_delay: Duration::ZERO,
        trusted_proxies: Vec::new(),
        workspace_domain: None,
        oauth_token_ttl: Duration::from_secs(3600),
        password_backoff: ironbrick::passwords::DEFAULT_BACKOFF,
        cluster_transition: std::time::Duration::from_millis(200),
    };
    let envelope =
        ironbrick::keys::local_envelope(s.dir.path(), Duration::from_secs(300)).expect("kms");
    ironbrick::app(AppState::with_limits(
        s.store.clone(),
        s.account.clone(),
        settings,
        envelope,
        ironbrick::limits::Limits::unthrottled(),
    ))
    .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))))
}

/// Mean time of one `GET uri` through `app` in process, its answer read to the end: the best of
/// 10 batches of `n` sequential calls.
async fn in_process(app: &Router, uri: &str, token: &str, n: u32) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..10 {
        let t = Instant::now();
        for _ in 0..n {
            let req = Request::builder()
                .uri(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request");
            let resp = app.clone().oneshot(req).await.expect("router");
            assert!(resp.status().is_success(), "{uri}: {}", resp.status());
            resp.into_body().collect().await.expect("answer");
        }
        best = best.min(t.elapsed() / n);
    }
    best
}

/// Runs [`drive`] `rounds` times and keeps the round with the most requests per second.
#[allow(clippy::too_many_arguments)]
async fn best_of(
    rounds: usize,
    http: &reqwest::Client,
    url: &str,
    token: &str,
    seconds: u64,
    concurrency: usize,
) -> Figures {
    let mut best: Option<Figures> = None;
    for _ in 0..rounds.max(1) {
        let f = drive(
            http,
            reqwest::Method::GET,
            url.to_string(),
            token.to_string(),
            None,
            seconds,
            concurrency,
        )
        .await;
        if best.as_ref().is_none_or(|b| f.rps > b.rps) {
            best = Some(f);
        }
    }
    best.expect("one round")
}

/// The HTTP status of a GET.
async fn status(http: &reqwest::Client, url: &str, token: &str) -> u16 {
    let resp = http.get(url).bearer_auth(token).send().await.expect("send");
    resp.status().as_u16()
}

fn row(users: usize, principals: usize, name: &str, f: &Figures) {
    let cpu = f
        .cpu_per_request
        .map_or("n/a".to_string(), |c| format!("{c:.2?}"));
    println!(
        "{users:>6} | {principals:>10} | {name:<44} | {:>8.0} | {:>9.2?} | {:>9.2?} | {cpu:>9}",
        f.rps, f.p50, f.p99
    );
}

/// `a / b` of two CPU-per-request figures, when both are known.
fn cpu_ratio(a: &Figures, b: &Figures) -> String {
    a.cpu_per_request
        .zip(b.cpu_per_request)
        .map_or("n/a".to_string(), |(a, b)| {
            format!("x{:.2}", a.as_secs_f64() / b.as_secs_f64())
        })
}

/// Figures at one number of users.
struct Measured {
    users: usize,
    me: Figures,
    list: Figures,
    /// In process, one at a time.
    resolve: Duration,
    me_local: Duration,
    list_local: Duration,
}

fn local_row(users: usize, principals: usize, name: &str, mean: Duration) {
    println!(
        "{users:>6} | {principals:>10} | {name:<44} | {:>8.0} | {:>9} | {:>9} | {mean:>9.2?}",
        1.0 / mean.as_secs_f64(),
        "",
        ""
    );
}

#[tokio::main]
async fn main() {
    let seconds: u64 = env("BENCH_SECONDS", 5);
    let concurrency: usize = env("BENCH_CONCURRENCY", 16);
    let rounds: usize = env("BENCH_ROUNDS", 3);
    let mut sizes: Vec<usize> = std::env::var("BENCH_USERS")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("BENCH_USERS: comma-separated counts")
        })
        .collect();
    sizes.sort_unstable();
    let notebooks: usize = env("BENCH_NOTEBOOKS", 10_000);
    let per_dir = (notebooks / DIRS).max(1);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");

    let s = start(Duration::from_secs(300)).await;
    let ws = workspace(&http, &s).await;
    let base = format!("{}/w/{ws}/api/2.0", s.host);
    let minted = call(
        &http,
        reqwest::Method::POST,
        &format!("{base}/token/create"),
        ADMIN_TOKEN,
        Some(json!({"comment": "bench admin"})),
    )
    .await;
    let admin = minted["token_value"].as_str().expect("token").to_string();
    let me = format!("{base}/preview/scim/v2/Me");

    println!(
        "ironbrick identity benchmark: best of {rounds} rounds of {seconds}s per case, \
         {concurrency} concurrent clients, sled store, fsync per write"
    );
    println!(
        "workspace: {} account groups in {CHAINS} chains top ⊃ mid ⊃ low ⊃ leaf (tops assigned USER), \
         {} notebooks in {DIRS} directories with a group ACL each",
        CHAINS * 4,
        DIRS * per_dir
    );
    println!(
        "{:>6} | {:>10} | {:<44} | {:>8} | {:>9} | {:>9} | {:>9}",
        "users", "principals", "operation", "req/s", "p50", "p99", "CPU/req"
    );
    println!("(in-process rows: req/s of one task calling in a loop, and the mean time per call)");
    let app = router(&s);
    let path = |url: &str| url[s.host.len()..].to_string();
    let today = best_of(rounds, &http, &me, &admin, seconds, concurrency).await;
    row(0, 1, "GET scim/Me, account admin (today)", &today);
    let today_local = in_process(&app, &path(&me), &admin, 500).await;
    local_row(0, 1, "  same, router in process, 1 at a time", today_local);

    let mut setup = Vec::new();
    let t = Instant::now();
    let chains = seed_groups(&s.store, ws);
    let (caller_id, caller) = seed_caller(&s.store, ws, &chains);
    setup.push((
        format!("{} groups + caller (identity core)", CHAINS * 4),
        t.elapsed(),
    ));
    let nb = seed_notebooks(&http, &base, &admin, per_dir, concurrency).await;
    setup.push((
        format!("{DIRS} mkdirs + {} imports over HTTP", nb.imported),
        nb.import,
    ));
    setup.push((
        format!("{} ACL PATCHes over HTTP", nb.imported + DIRS),
        nb.acls,
    ));

    let listed = dir_path(LISTED);
    let list = format!("{base}/workspace/list?path={listed}");
    let seen = listing(&http, &base, &caller, &listed).await;
    assert_eq!(
        seen.len(),
        per_dir,
        "the caller reads every notebook of {listed}"
    );
    let other = format!("{base}/workspace/list?path={}", dir_path(LISTED + 1));
    assert_eq!(
        status(&http, &other, &caller).await,
        403,
        "the caller may not list another directory"
    );

    let mut measured: Vec<Measured> = Vec::new();
    let mut users = 0;
    for &u in &sizes {
        let t = Instant::now();
        seed_users(&s.store, &chains, users, u);
        setup.push((format!("users {users} → {u} (identity core)"), t.elapsed()));
        users = u;
        let principals = u + CHAINS * 4 + 2;
        let m = Measured {
            users: u,
            me: best_of(rounds, &http, &me, &caller, seconds, concurrency).await,
            list: best_of(rounds, &http, &list, &caller, seconds, concurrency).await,
            resolve: resolve_cost(&s.store, caller_id, ws),
            me_local: in_process(&app, &path(&me), &caller, 500).await,
            list_local: in_process(&app, &path(&list), &caller, 50).await,
        };
        row(
            u,
            principals,
            "GET scim/Me, plain user (3-deep groups)",
            &m.me,
        );
        let local = "  same, router in process, 1 at a time";
        local_row(u, principals, local, m.me_local);
        let name = format!("GET workspace/list, {per_dir} notebooks with ACLs");
        row(u, principals, &name, &m.list);
        local_row(u, principals, local, m.list_local);
        local_row(
            u,
            principals,
            "subject::resolve alone, in process",
            m.resolve,
        );
        measured.push(m);
    }
    s.task.abort();

    println!("setup:");
    for (what, took) in &setup {
        println!("  {what}: {took:.2?}");
    }
    if let (Some(lo), Some(hi)) = (measured.first(), measured.last()) {
        if hi.users > lo.users {
            let x = |a: f64, b: f64| a / b;
            println!(
                "ratio {}/{} users (1.00 = independent of the number of principals):",
                hi.users, lo.users
            );
            println!(
                "  GET scim/Me        req/s x{:.2}, p50 x{:.2}, CPU/req {}",
                x(hi.me.rps, lo.me.rps),
                x(hi.me.p50.as_secs_f64(), lo.me.p50.as_secs_f64()),
                cpu_ratio(&hi.me, &lo.me)
            );
            println!(
                "  GET workspace/list req/s x{:.2}, p50 x{:.2}, CPU/req {}",
                x(hi.list.rps, lo.list.rps),
                x(hi.list.p50.as_secs_f64(), lo.list.p50.as_secs_f64()),
                cpu_ratio(&hi.list, &lo.list)
            );
            let t = |a: Duration, b: Duration| x(a.as_secs_f64(), b.as_secs_f64());
            println!(
                "  in process, time per request: GET scim/Me x{:.2}, GET workspace/list x{:.2}, \
                 subject::resolve x{:.2}",
                t(hi.me_local, lo.me_local),
                t(hi.list_local, lo.list_local),
                t(hi.resolve, lo.resolve)
            );
        }
        println!(
            "plain user ({} users) vs account admin today, GET scim/Me: req/s x{:.2}, \
             time in process x{:.2}",
            lo.users,
            lo.me.rps / today.rps,
            lo.me_local.as_secs_f64() / today_local.as_secs_f64()
        );
    }
}
