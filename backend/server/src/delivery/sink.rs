//! Writing objects to the customer's bucket: S3 through aws-sdk-s3, with the credential
//! configuration's role assumed through STS (external id: the one stored on the credential
//! configuration, which defaults to the account id, as Databricks uses).
//!
//! With `--s3-endpoint`, S3 requests go there with path-style addressing (moto, LocalStack,
//! MinIO); `--sts-endpoint` does the same for STS. The server's own AWS credentials (to call
//! STS) come from the usual chain, as for KMS. Assumed credentials are cached per role until
//! five minutes before they expire; they never reach a log, an error or the store.

use async_trait::async_trait;
use aws_config::meta::region::RegionProviderChain;
use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

/// Where a configuration's objects go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub bucket: String,
    pub role_arn: String,
    pub external_id: String,
}

/// Whose side a failed delivery is on (`USER_FAILURE` or `SYSTEM_FAILURE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The customer's role, bucket or permissions.
    User,
    /// The service or its dependencies (S3 or STS unreachable, throttled, failing).
    System,
}

/// A failed write, with a message safe to show in `log_delivery_status` (no secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    pub fault: Fault,
    pub message: String,
}

impl DeliveryError {
    pub fn user(message: impl Into<String>) -> Self {
        Self {
            fault: Fault::User,
            message: message.into(),
        }
    }

    pub fn system(message: impl Into<String>) -> Self {
        Self {
            fault: Fault::System,
            message: message.into(),
        }
    }
}

/// Something objects can be written to.
#[async_trait]
pub trait Sink: Send + Sync + std::fmt::Debug {
    /// Writes (or overwrites) `key` in `dest`; `Ok` once the store acknowledged it.
    async fn put(
        &self,
        dest: &Destination,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), DeliveryError>;
}

/// Endpoint overrides (`--s3-endpoint`, `--sts-endpoint`).
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    pub s3: Option<String>,
    pub sts: Option<String>,
}

/// S3 with STS-assumed roles. Its `Debug` shows the endpoints only (never credentials).
pub struct S3Sink {
    endpoints: Endpoints,
    sts: Mutex<Option<aws_sdk_sts::Client>>,
    /// (role, external id) → S3 client with that role's credentials, and when they expire.
    clients: Mutex<HashMap<(String, String), (aws_sdk_s3::Client, SystemTime)>>,
}

/// S3 error codes that mean the customer's bucket or role is wrong.
const USER_CODES: [&str; 7] = [
    "AccessDenied",
    "NoSuchBucket",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AllAccessDisabled",
    "PermanentRedirect",
    "InvalidBucketName",
];

impl std::fmt::Debug for S3Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Sink")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl S3Sink {
    pub fn new(endpoints: Endpoints) -> Self {
        Self {
            endpoints,
            sts: Mutex::new(None),
            clients: Mutex::new(HashMap::new()),
        }
    }

    async fn loader(endpoint: Option<&str>) -> aws_config::ConfigLoader {
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(10))
            .operation_timeout(Duration::from_secs(30))
            .build();
        let region = RegionProviderChain::default_provider().or_else("us-east-1");
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(region)
            .timeout_config(timeouts)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2));
        if let Some(e) = endpoint {
            loader = loader.endpoint_url(e);
        }
        loader
    }

    async fn sts(&self) -> aws_sdk_sts::Client {
        let mut sts = self.sts.lock().await;
        if let Some(c) = sts.as_ref() {
            return c.clone();
        }
        let conf = Self::loader(self.endpoints.sts.as_deref())
            .await
            .load()
            .await;
        let client = aws_sdk_sts::Client::new(&conf);
        *sts = Some(client.clone());
        client
    }

    async fn client(&self, dest: &Destination) -> Result<aws_sdk_s3::Client, DeliveryError> {
        let id = (dest.role_arn.clone(), dest.external_id.clone());
        let mut clients = self.clients.lock().await;
        if let Some((c, expires)) = clients.get(&id) {
            if SystemTime::now() + Duration::from_secs(300) < *expires {
                return Ok(c.clone());
            }
        }
        let out = self
            .sts()
            .await
            .assume_role()
            .role_arn(&dest.role_arn)
            .role_session_name("ironbrick-log-delivery")
            .external_id(&dest.external_id)
            .send()
            .await
            .map_err(|e| classify("STS AssumeRole", &dest.role_arn, e))?;
        let creds = out.credentials().ok_or_else(|| {
            DeliveryError::system(format!(
                "STS returned no credentials for {}.",
                dest.role_arn
            ))
        })?;
        let expires = SystemTime::try_from(*creds.expiration())
            .unwrap_or_else(|_| SystemTime::now() + Duration::from_secs(900));
        let credentials = Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_owned()),
            Some(expires),
            "sts-assume-role",
        );
        let conf = Self::loader(self.endpoints.s3.as_deref())
            .await
            .credentials_provider(credentials)
            .load()
            .await;
        let mut s3 = aws_sdk_s3::config::Builder::from(&conf);
        if self.endpoints.s3.is_some() {
            s3 = s3.force_path_style(true).request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            );
        }
        let client = aws_sdk_s3::Client::from_conf(s3.build());
        clients.insert(id, (client.clone(), expires));
        Ok(client)
    }
}

#[async_trait]
impl Sink for S3Sink {
    async fn put(
        &self,
        dest: &Destination,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), DeliveryError> {
        let client = self.client(dest).await?;
        let result = client
            .put_object()
            .bucket(&dest.bucket)
            .key(key)
            .content_type(content_type)
            .body(body.into())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = classify("S3 PutObject", &dest.bucket, e);
                if err.fault == Fault::User {
                    // The role's credentials may be the cause: assume it again next time.
                    self.clients
                        .lock()
                        .await
                        .remove(&(dest.role_arn.clone(), dest.external_id.clone()));
                }
                Err(err)
            }
        }
    }
}

/// A failed AWS call as a [`DeliveryError`]: the service's code and message (AWS messages
/// carry no credentials), or that it could not be reached.
fn classify<E: ProvideErrorMetadata, R>(
    call: &str,
    what: &str,
    err: SdkError<E, R>,
) -> DeliveryError {
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message: String = crate::redact::scrub(e.message().unwrap_or_default());
            let text = format!("{call} failed for {what}: {code}: {message}");
            let user = USER_CODES.contains(&code)
                || (call.starts_with("STS")
                    && code != "ServiceUnavailable"
                    && code != "Throttling");
            if user {
                DeliveryError::user(text)
            } else {
                DeliveryError::system(text)
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => DeliveryError::system(format!(
            "{call} failed for {what}: the service cannot be reached."
        )),
        _ => DeliveryError::system(format!("{call} failed for {what}: unexpected response.")),
    }
}
