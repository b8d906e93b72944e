use crate::{DataKey, EncryptionContext, KeyRef, KeyWrapper, KmsError, WrappedKey};
use async_trait::async_trait;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use aws_sdk_kms::Client;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::Mutex;

/// AWS KMS through aws-sdk-kms.
///
/// The region of each call is taken from the key ARN; credentials come from the usual AWS
/// chain (environment, profile, SSO, instance role). `endpoint` overrides the service URL, for
/// moto's server or LocalStack.
///
/// Emulators do not always enforce key state: moto answers Decrypt under a disabled key. So
/// when an endpoint override is set, each unwrap first asks DescribeKey and refuses a key whose
/// state is not `Enabled` (one extra call per DEK-cache miss; real AWS refuses by itself).
#[derive(Debug)]
pub struct AwsKms {
    endpoint: Option<String>,
    verify_key_state: bool,
    clients: Mutex<HashMap<String, Client>>,
}

impl AwsKms {
    /// A KMS client factory; clients are built per region on first use.
    pub fn new(endpoint: Option<String>) -> Self {
        Self {
            verify_key_state: endpoint.is_some(),
            endpoint,
            clients: Mutex::new(HashMap::new()),
        }
    }

    async fn client(&self, key: &KeyRef) -> Result<Client, KmsError> {
        let region = key
            .region()
            .ok_or_else(|| KmsError::Invalid(format!("{key} is not a KMS key ARN with a region")))?
            .to_string();
        let mut clients = self.clients.lock().await;
        if let Some(c) = clients.get(&region) {
            return Ok(c.clone());
        }
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(Duration::from_secs(5))
            .operation_timeout(Duration::from_secs(15))
            .build();
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.clone()))
            .timeout_config(timeouts)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2));
        if let Some(endpoint) = &self.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let client = Client::new(&loader.load().await);
        clients.insert(region, client.clone());
        Ok(client)
    }
}

fn context_map(context: &EncryptionContext) -> HashMap<String, String> {
    context.iter().cloned().collect()
}

fn classify<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    key: &KeyRef,
    err: SdkError<E, R>,
) -> KmsError {
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let message = e.message().unwrap_or_default().to_string();
            match code.as_str() {
                "NotFoundException" => KmsError::NotFound(key.0.clone()),
                "DisabledException"
                | "KMSInvalidStateException"
                | "AccessDeniedException"
                | "KeyUnavailableException"
                | "IncorrectKeyException" => KmsError::Refused {
                    key: key.0.clone(),
                    reason: format!("{code}: {message}"),
                },
                "InvalidCiphertextException" => KmsError::Invalid(format!("{code}: {message}")),
                _ => KmsError::Unavailable(format!("{code}: {message}")),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            KmsError::Unavailable(format!("cannot reach KMS for {key}"))
        }
        _ => KmsError::Unavailable(format!("KMS call failed for {key}")),
    }
}

#[async_trait]
impl KeyWrapper for AwsKms {
    async fn generate_data_key(
        &self,
        key: &KeyRef,
        context: &EncryptionContext,
    ) -> Result<(DataKey, WrappedKey), KmsError> {
        let out = self
            .client(key)
            .await?
            .generate_data_key()
            .key_id(&key.0)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(context_map(context)))
            .send()
            .await
            .map_err(|e| classify(key, e))?;
        let plain = out
            .plaintext()
            .and_then(|b| DataKey::from_slice(b.as_ref()))
            .ok_or_else(|| KmsError::Invalid("KMS returned no 256-bit plaintext key".into()))?;
        let wrapped = out
            .ciphertext_blob()
            .map(|b| WrappedKey(b.as_ref().to_vec()))
            .ok_or_else(|| KmsError::Invalid("KMS returned no ciphertext".into()))?;
        Ok((plain, wrapped))
    }

    async fn unwrap(
        &self,
        key: &KeyRef,
        wrapped: &WrappedKey,
        context: &EncryptionContext,
    ) -> Result<DataKey, KmsError> {
        let client = self.client(key).await?;
        if self.verify_key_state {
            let described = client
                .describe_key()
                .key_id(&key.0)
                .send()
                .await
                .map_err(|e| classify(key, e))?;
            let state = described
                .key_metadata()
                .and_then(|m| m.key_state())
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            if state != "Enabled" {
                return Err(KmsError::Refused {
                    key: key.0.clone(),
                    reason: format!("key state is {state}"),
                });
            }
        }
        let out = client
            .decrypt()
            .key_id(&key.0)
            .ciphertext_blob(Blob::new(wrapped.0.clone()))
            .set_encryption_context(Some(context_map(context)))
            .send()
            .await
            .map_err(|e| classify(key, e))?;
        out.plaintext()
            .and_then(|b| DataKey::from_slice(b.as_ref()))
            .ok_or_else(|| KmsError::Invalid("KMS returned no 256-bit plaintext key".into()))
    }

    fn kind(&self) -> &'static str {
        "aws"
    }
}
