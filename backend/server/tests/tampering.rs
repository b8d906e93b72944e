//! Tampered ciphertext at rest: a stored secret or notebook whose ciphertext was altered is
//! answered 500 DATA_LOSS (never its plaintext, never a key), counted on /metrics, and recorded
//! in the audit log; untouched objects still read.

#![allow(clippy::unwrap_used)]

mod support;

use base64::Engine;
use ironbrick::repo::trees;
use reqwest::Method;
use serde_json::{json, Value};
use support::{Server, ADMIN};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Flips one bit in the middle of `bytes`.
fn flip(bytes: &mut [u8]) {
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
}

/// Rewrites every stored record of `tree` whose key contains `needle` with `change`.
fn tamper(s: &Server, tree: &str, needle: &str, change: impl Fn(&mut Vec<u8>)) {
    let store = s.state.store();
    let entries = store.kv().scan_prefix(tree, b"").unwrap();
    let mut hit = 0;
    for (key, mut value) in entries {
        if !String::from_utf8_lossy(&key).contains(needle) {
            continue;
        }
        change(&mut value);
        store.transact(|tx| tx.put(tree, &key, &value)).unwrap();
        hit += 1;
    }
    assert_eq!(
        hit, 1,
        "exactly one stored record of {tree} matches {needle:?}"
    );
}

/// The secret record's base64 `sealed` field, one bit flipped (the record is a version byte
/// and JSON).
fn tamper_secret_record(record: &mut Vec<u8>) {
    let (version, json) = record.split_first().unwrap();
    let mut doc: Value = serde_json::from_slice(json).unwrap();
    let mut sealed = B64.decode(doc["sealed"].as_str().unwrap()).unwrap();
    flip(&mut sealed);
    doc["sealed"] = Value::String(B64.encode(sealed));
    let mut out = vec![*version];
    out.extend(serde_json::to_vec(&doc).unwrap());
    *record = out;
}

async fn metric(s: &Server, name: &str) -> f64 {
    let text = s
        .http
        .get(format!("{}/metrics", s.host))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn tampered_ciphertext_is_data_loss_audited_and_counted() {
    let s = Server::start().await;
    let ws = s.workspace("tamper").await;
    let secret = "hunter2-plaintext-secret";
    let notebook = "print('the notebook plaintext')";
    s.ok(
        Method::POST,
        &s.ws(ws, "/secrets/scopes/create"),
        json!({"scope": "vault"}),
    )
    .await;
    for key in ["tampered", "intact"] {
        s.ok(
            Method::POST,
            &s.ws(ws, "/secrets/put"),
            json!({"scope": "vault", "key": key, "string_value": secret}),
        )
        .await;
    }
    s.ok(
        Method::POST,
        &s.ws(ws, "/workspace/import"),
        json!({"path": "/Shared/nb", "format": "SOURCE", "language": "PYTHON",
               "content": B64.encode(notebook)}),
    )
    .await;
    assert_eq!(
        metric(&s, "ironbrick_ciphertext_integrity_failures_total").await,
        0.0
    );

    tamper(&s, trees::SECRETS, "tampered", tamper_secret_record);
    tamper(&s, trees::WS_CONTENT, "", |v| flip(v));

    let get = s
        .send(
            Method::GET,
            &s.ws(ws, "/secrets/get?scope=vault&key=tampered"),
            ADMIN,
            None,
        )
        .await;
    assert_eq!(get.status, 500, "{}", get.body);
    assert_eq!(get.error_code(), Some("DATA_LOSS"));
    let text = get.body.to_string();
    assert!(!text.contains(secret) && !text.contains(&B64.encode(secret)));
    assert!(
        get.body["message"]
            .as_str()
            .unwrap()
            .contains("integrity check"),
        "{}",
        get.body
    );

    let export = s
        .send(
            Method::GET,
            &s.ws(ws, "/workspace/export?path=/Shared/nb&format=SOURCE"),
            ADMIN,
            None,
        )
        .await;
    assert_eq!(export.status, 500, "{}", export.body);
    assert_eq!(export.error_code(), Some("DATA_LOSS"));
    assert!(!export.body.to_string().contains("plaintext"));

    // The untouched secret still reads.
    let intact = s
        .send(
            Method::GET,
            &s.ws(ws, "/secrets/get?scope=vault&key=intact"),
            ADMIN,
            None,
        )
        .await;
    assert_eq!(intact.status, 200, "{}", intact.body);
    assert_eq!(intact.body["value"], B64.encode(secret));

    assert_eq!(
        metric(&s, "ironbrick_ciphertext_integrity_failures_total").await,
        2.0
    );

    // Both reads are in the audit log, with the caller and the code (reads are otherwise not
    // audited), and the log holds neither plaintext.
    let audit = s.state.audit().read(0, 10_000).unwrap();
    let losses: Vec<_> = audit
        .iter()
        .filter(|r| r.error_code.as_deref() == Some("DATA_LOSS"))
        .collect();
    assert_eq!(losses.len(), 2, "{losses:?}");
    assert!(losses.iter().any(|r| r.path.ends_with("/secrets/get")
        && r.request_params.get("key").map(String::as_str) == Some("tampered")));
    assert!(losses.iter().any(|r| r.path.ends_with("/workspace/export")));
    for r in &losses {
        assert_eq!(r.status, 500);
        assert_eq!(r.method, "GET");
        assert_eq!(r.workspace_id, Some(ws));
        assert!(r.principal.is_some(), "{r:?}");
    }
    let all = format!("{audit:?}");
    assert!(!all.contains(secret) && !all.contains("notebook plaintext"));
}
