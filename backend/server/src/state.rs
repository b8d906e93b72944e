//! Shared application state.

use crate::audit::Audit;
use crate::exclusive::{Exclusive, ExclusiveGuard};
use crate::hosts::WorkspaceDomain;
use crate::invalidation;
use crate::limits::{Limiters, Limits};
use crate::model::WorkspaceRecord;
use crate::passwords::Passwords;
use crate::policy::PolicyCache;
use crate::vault::Vault;
use ipnet::IpNet;
use ironbrick_kms::Envelope;
use ironbrick_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Settings fixed at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL clients reach this server at, e.g. `http://127.0.0.1:8420`.
    pub public_url: String,
    /// How long a new workspace stays PROVISIONING.
    pub provisioning_delay: Duration,
    /// Peers whose `X-Forwarded-For` is trusted for the client address.
    pub trusted_proxies: Vec<IpNet>,
    /// With a workspace domain, workspaces are also served (and their URLs spelled) at
    /// `{scheme}://{deployment_name}.{domain}[:port]`.
    pub workspace_domain: Option<WorkspaceDomain>,
    /// Lifetime of OAuth access tokens (one hour; shorter in tests).
    pub oauth_token_ttl: Duration,
    /// The first back-off after repeated failed password sign-ins (it doubles with every
    /// further failure); [`crate::passwords::DEFAULT_BACKOFF`] unless tests shorten it.
    pub password_backoff: Duration,
    /// How long a cluster takes to start, restart, resize or terminate (no machine is started;
    /// the state moves on by the clock).
    pub cluster_transition: Duration,
}

/// Everything handlers share. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    account_id: String,
    settings: Settings,
    policies: PolicyCache,
    audit: Audit,
    vault: Vault,
    passwords: Passwords,
    identity_writes: Exclusive,
    policy_writes: Exclusive,
    limits: Limits,
    limiters: Limiters,
}

impl AppState {
    /// Builds the state over an opened store for the bootstrapped `account_id`, with the
    /// default [`Limits`].
    pub fn new(
        store: Store,
        account_id: String,
        settings: Settings,
        envelope: Arc<Envelope>,
    ) -> Self {
        Self::with_limits(store, account_id, settings, envelope, Limits::default())
    }

    /// Like [`AppState::new`], with `limits`.
    pub fn with_limits(
        store: Store,
        account_id: String,
        settings: Settings,
        envelope: Arc<Envelope>,
        limits: Limits,
    ) -> Self {
        let limiters = Limiters::new(&limits);
        let audit = Audit::new(store.clone());
        let passwords = Passwords::new(settings.password_backoff, &store);
        let inner = Arc::new(Inner {
            store,
            account_id,
            settings,
            policies: PolicyCache::default(),
            audit,
            vault: Vault::new(envelope),
            passwords,
            identity_writes: Exclusive::new("identity-writes"),
            policy_writes: Exclusive::new("policy-writes"),
            limits,
            limiters,
        });
        // Weak: the feed lives in the store, which the state owns.
        let weak = Arc::downgrade(&inner);
        inner.store.changes().subscribe(move |change| {
            if let Some(inner) = weak.upgrade() {
                invalidation::apply(&inner.policies, &inner.passwords, change);
            }
        });
        inner.store.watch(invalidation::cached);
        Self { inner }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The account this server hosts.
    pub fn account_id(&self) -> &str {
        &self.inner.account_id
    }

    /// Start-up settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The per-workspace access policy cache.
    pub fn policies(&self) -> &PolicyCache {
        &self.inner.policies
    }

    /// Envelope encryption of workspace data.
    pub fn vault(&self) -> &Vault {
        &self.inner.vault
    }

    /// Password hashing and sign-in (throttle, cache of verified passwords).
    pub fn passwords(&self) -> &Passwords {
        &self.inner.passwords
    }

    /// Serializes changes to principals, memberships and assignments. A SCIM PATCH reads the
    /// current document, applies its operations and writes the result; without this lock two
    /// concurrent PATCHes adding different members to one group (Terraform applies
    /// `databricks_group_member`s in parallel) would each write a member list lacking the
    /// other's member. Identity writes are rare next to reads, which never take it.
    ///
    /// Replicas sharing one database serialize them too, through a lease in the store
    /// ([`Exclusive`]); waiting too long for it is 503 TEMPORARILY_UNAVAILABLE.
    pub async fn identity_writes(&self) -> crate::error::ApiResult<ExclusiveGuard<'_>> {
        self.inner.identity_writes.lock(&self.inner.store).await
    }

    /// Serializes changes to a workspace's access policy: its settings (`workspace-conf`)
    /// and IP access lists. Each reads the stored policy ([`PolicyCache::fresh`]), applies the
    /// change, checks the result (the caller's address still allowed, labels unique) and writes
    /// it; without this, two settings changes would each write a document lacking the other's
    /// keys, and two lists could each pass a check the pair fails.
    ///
    /// Replicas sharing one database serialize them too, through a lease in the store
    /// ([`Exclusive`]), as [`AppState::identity_writes`]; waiting too long for it is 503
    /// TEMPORARILY_UNAVAILABLE.
    pub async fn policy_writes(&self) -> crate::error::ApiResult<ExclusiveGuard<'_>> {
        self.inner.policy_writes.lock(&self.inner.store).await
    }

    /// Request limits ([`crate::limits`]).
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The rate limiters.
    pub fn limiters(&self) -> &Limiters {
        &self.inner.limiters
    }

    /// The audit log.
    pub fn audit(&self) -> &Audit {
        &self.inner.audit
    }

    /// The workspace URL of `w`: its own host under the workspace domain when there is one,
    /// else the path form `{public_url}/w/{workspace_id}` (which always works).
    pub fn workspace_url(&self, w: &WorkspaceRecord) -> String {
        match &self.inner.settings.workspace_domain {
            Some(d) => d.url(&w.deployment_name),
            None => format!("{}/w/{}", self.inner.settings.public_url, w.workspace_id),
        }
    }

    /// Makes committed writes durable before a 2xx answer. In the handler of a mutating
    /// request this returns at once: the audit middleware flushes after appending the
    /// request's entry, and that one flush covers the handler's writes too (see
    /// [`crate::audit`]).
    pub async fn flush(&self) -> crate::error::ApiResult<()> {
        if crate::audit::flush_deferred() {
            return Ok(());
        }
        Ok(self.inner.store.flush().await?)
    }
}
