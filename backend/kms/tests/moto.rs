//! AwsKms + Envelope against moto's KMS server on 127.0.0.1.
//!
//! Needs `moto_server` (PyPI `moto[server]`): from env `MOTO_SERVER`, else `<repo>/.venv/bin/`.
//! Missing, the test fails with the install command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_kms::Client;
use ironbrick_kms::{AwsKms, Envelope, EnvelopeError, KeyRef, KmsError, LocalKms, Scope};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_binary() -> PathBuf {
    if let Ok(p) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let p = repo.join(".venv/bin/moto_server");
    assert!(
        p.exists(),
        "moto_server not found at {}: run `python3 -m venv .venv && .venv/bin/pip install 'moto[server]'` \
         in the repository (or set MOTO_SERVER)",
        p.display()
    );
    p
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_moto(port: u16) -> Moto {
    let child = Command::new(moto_binary())
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting moto_server");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto { child, port }
}

async fn admin_client(port: u16) -> Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .load()
        .await;
    Client::new(&conf)
}

fn dummy_credentials() {
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::remove_var("AWS_PROFILE");
}

#[tokio::test]
async fn envelope_over_aws_kms_fails_closed_and_recovers() {
    dummy_credentials();
    let port = free_port();
    let mut moto = start_moto(port);
    let admin = admin_client(moto.port).await;
    let created = admin.create_key().send().await.unwrap();
    let meta = created.key_metadata().unwrap();
    let (arn, key_id) = (meta.arn().unwrap().to_string(), meta.key_id().to_string());
    let key = KeyRef(arn.clone());
    let dir = tempfile::tempdir().unwrap();
    let platform = Arc::new(LocalKms::open(dir.path()).unwrap());
    let env = Envelope::new(
        Arc::new(AwsKms::new(Some(format!("http://127.0.0.1:{port}")))),
        platform,
        KeyRef("arn:aws:kms:us-east-1:000000000000:key/platform".into()),
        Duration::from_millis(300),
    );
    let scope = Scope {
        workspace_id: 42,
        key: Some(key.clone()),
        wrapped_dmk: env.new_dmk(42, Some(&key)).await.unwrap(),
    };
    let sealed = env
        .seal(&scope, "notebook", "1", b"MARKER-notebook")
        .await
        .unwrap();
    assert_eq!(
        env.open(&scope, "notebook", "1", &sealed).await.unwrap(),
        b"MARKER-notebook"
    );

    admin.disable_key().key_id(&key_id).send().await.unwrap();
    assert!(
        env.open(&scope, "notebook", "1", &sealed).await.is_ok(),
        "within the TTL"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    let refused = env.open(&scope, "notebook", "1", &sealed).await;
    assert!(
        matches!(
            refused,
            Err(EnvelopeError::KeyUnavailable(KmsError::Refused { .. }))
        ),
        "{refused:?}"
    );
    assert!(env.seal(&scope, "notebook", "2", b"x").await.is_err());

    admin.enable_key().key_id(&key_id).send().await.unwrap();
    assert_eq!(
        env.open(&scope, "notebook", "1", &sealed).await.unwrap(),
        b"MARKER-notebook"
    );

    drop(moto);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let down = env.open(&scope, "notebook", "1", &sealed).await;
    assert!(
        matches!(
            down,
            Err(EnvelopeError::KeyUnavailable(KmsError::Unavailable(_)))
        ),
        "{down:?}"
    );
    moto = start_moto(port);
    let admin = admin_client(moto.port).await;
    // A restarted moto has forgotten its keys: the wrapped DMK is unusable (not found), which
    // still fails closed without losing the stored ciphertext.
    let after = env.open(&scope, "notebook", "1", &sealed).await;
    assert!(after.is_err());
    let fresh = admin.create_key().send().await.unwrap();
    let fresh_key = KeyRef(fresh.key_metadata().unwrap().arn().unwrap().to_string());
    assert!(
        env.new_dmk(43, Some(&fresh_key)).await.is_ok(),
        "KMS reachable again"
    );
}
