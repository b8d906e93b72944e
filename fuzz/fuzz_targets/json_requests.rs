//! The JSON request body of every endpoint, through the server's own extractor path
//! (`ironbrick::json::parse`, what `Body<T>` runs on the bytes it read).
//!
//! The first byte picks the wire type, the rest is the body. Invariants:
//! - a refusal is MALFORMED_REQUEST (syntax) or INVALID_PARAMETER_VALUE (shape), never
//!   anything else, with a non-empty message;
//! - an accepted body re-serializes, and the serialized form parses back to an equal value
//!   which serializes to the same bytes (the client in `ironbrick-api::client` sends what the
//!   server reads);
//! - SCIM bodies (read as JSON values, then drafted) and SCIM patches applied to a rendered
//!   principal answer a client error or a draft, never a panic or an internal error.
#![no_main]

use ironbrick::identity::Kind;
use ironbrick::scim::draft::{self, Absent};
use ironbrick::scim::{attributes, patch, Level};
use ironbrick_api as api;
use ironbrick_api::ErrorCode;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Debug;

/// Parses `body` as `T` the way the server does, and checks the invariants above. Answers the
/// parsed value.
fn check<T>(body: &[u8]) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    check_if(body, |_| true)
}

/// [`check`], the round trip checked only for values the handler goes on to accept
/// (`accepted`): some types collect unknown fields, which are never serialized, so that the
/// handler can refuse them by name.
fn check_if<T>(body: &[u8], accepted: impl Fn(&T) -> bool) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    match ironbrick::json::parse::<T>(body) {
        Ok(v) if !accepted(&v) => None,
        Ok(v) => {
            let wire = serde_json::to_vec(&v).expect("an accepted body serializes");
            let back: T = ironbrick::json::parse(&wire).unwrap_or_else(|e| {
                panic!(
                    "the serialized form {:?} is refused: {}",
                    String::from_utf8_lossy(&wire),
                    e.message()
                )
            });
            assert_eq!(
                back,
                v,
                "round trip through {:?}",
                String::from_utf8_lossy(&wire)
            );
            let again = serde_json::to_vec(&back).expect("serializes");
            assert_eq!(again, wire, "serialization is not a fixed point");
            Some(v)
        }
        Err(e) => {
            assert!(
                matches!(
                    e.code(),
                    ErrorCode::MalformedRequest | ErrorCode::InvalidParameterValue
                ),
                "unexpected error code {:?}",
                e.code()
            );
            assert!(!e.message().is_empty());
            None
        }
    }
}

/// A principal as the server renders it, the document a SCIM patch applies to.
fn rendered(kind: Kind) -> Value {
    match kind {
        Kind::User => json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "1001", "userName": "ann@example.com", "displayName": "Ann Lee", "active": true,
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
            "entitlements": [{"value": "allow-cluster-create"}],
            "groups": [{"value": "7", "display": "admins"}], "roles": []
        }),
        Kind::ServicePrincipal => json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"],
            "id": "1002", "applicationId": "8c4f2a6e-9d4b-4f1e-8a53-2d6f1c0b7e91",
            "displayName": "etl", "active": true, "entitlements": [], "groups": []
        }),
        Kind::Group => json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "7", "displayName": "admins", "members": [{"value": "1001"}],
            "entitlements": [], "roles": []
        }),
    }
}

fn scim_body(kind: Kind, level: Level, body: &[u8]) {
    if let Some(v) = check::<Value>(body) {
        for absent in [Absent::Keeps, Absent::Empties] {
            if let Err(e) = draft::parse(kind, level, v.clone(), absent, None) {
                assert!(
                    !matches!(e, ironbrick::error::ApiError::Internal(_)),
                    "{e:?}"
                );
            }
        }
    }
}

fn scim_patch(kind: Kind, level: Level, body: &[u8]) {
    let Some(req) = check::<api::scim::PatchRequest>(body) else {
        return;
    };
    let mut doc = rendered(kind);
    if patch::apply(&mut doc, &req.operations, attributes(kind)).is_ok() {
        if let Err(e) = draft::parse(kind, level, doc, Absent::Empties, None) {
            assert!(
                !matches!(e, ironbrick::error::ApiError::Internal(_)),
                "{e:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    const KINDS: [Kind; 3] = [Kind::User, Kind::ServicePrincipal, Kind::Group];
    const LEVELS: [Level; 2] = [Level::Account, Level::Workspace(1234)];
    match which % 44 {
        // Account API.
        0 => drop(check::<api::account::CreateCredentialRequest>(body)),
        1 => drop(check::<api::account::CreateStorageConfigurationRequest>(
            body,
        )),
        2 => drop(check::<api::account::CreateNetworkRequest>(body)),
        3 => drop(check::<api::account::CreateCustomerManagedKeyRequest>(body)),
        4 => drop(check::<api::account::CreateWorkspaceRequest>(body)),
        5 => drop(check::<api::account::UpdateWorkspaceRequest>(body)),
        6 => drop(check::<api::private_link::CreateVpcEndpointRequest>(body)),
        7 => drop(check::<api::private_link::PrivateAccessSettingsRequest>(
            body,
        )),
        8 => drop(check::<api::log_delivery::CreateLogDeliveryRequest>(body)),
        9 => drop(check_if(
            body,
            |r: &api::log_delivery::UpdateLogDeliveryStatusRequest| r.other.is_empty(),
        )),
        10 => drop(check::<api::workspace_assignment::UpdateWorkspaceAssignments>(body)),
        11 => drop(check::<api::oauth::CreateServicePrincipalSecretRequest>(
            body,
        )),
        // Compute.
        12 => drop(check::<api::compute::ClusterSpec>(body)),
        13 => drop(check::<api::clusters::ClusterId>(body)),
        14 => drop(check::<api::clusters::ResizeCluster>(body)),
        15 => drop(check::<api::clusters::GetEvents>(body)),
        16 => drop(check::<api::clusters::InstallLibraries>(body)),
        17 => drop(check::<api::compute::PolicyRequest>(body)),
        18 => drop(check::<api::compute::PolicyId>(body)),
        // Workspace objects, secrets, tokens, IP access lists, permissions, conf.
        19 => drop(check::<api::workspace_objects::ImportRequest>(body)),
        20 => drop(check::<api::workspace_objects::DeleteRequest>(body)),
        21 => drop(check::<api::workspace_objects::MkdirsRequest>(body)),
        22 => drop(check::<api::secrets::CreateScopeRequest>(body)),
        23 => drop(check::<api::secrets::DeleteScopeRequest>(body)),
        24 => drop(check::<api::secrets::PutSecretRequest>(body)),
        25 => drop(check::<api::secrets::DeleteSecretRequest>(body)),
        26 => drop(check::<api::secrets::PutAclRequest>(body)),
        27 => drop(check::<api::secrets::DeleteAclRequest>(body)),
        28 => drop(check::<api::tokens::CreateTokenRequest>(body)),
        29 => drop(check::<api::tokens::RevokeTokenRequest>(body)),
        30 => drop(check::<api::tokens::CreateOboTokenRequest>(body)),
        31 => drop(check::<api::ip_access_lists::CreateIpAccessListRequest>(
            body,
        )),
        32 => drop(check::<api::ip_access_lists::UpdateIpAccessListRequest>(
            body,
        )),
        33 => drop(check::<api::ip_access_lists::ReplaceIpAccessListRequest>(
            body,
        )),
        34 => drop(check::<api::permissions::ObjectPermissionsRequest>(body)),
        35 => drop(check::<BTreeMap<String, Value>>(body)),
        // SCIM: create/replace bodies and patches, per kind and level.
        n @ 36..=41 => {
            let (kind, level) = (KINDS[(n as usize - 36) % 3], LEVELS[(n as usize - 36) / 3]);
            scim_body(kind, level, body);
            scim_patch(kind, level, body);
        }
        _ => drop(check::<Value>(body)),
    }
});
