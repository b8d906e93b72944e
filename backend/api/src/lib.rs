//! Wire types of the Ironbrick REST API.
//!
//! Ironbrick speaks the Databricks account and workspace REST API (2.0) for the security
//! surface. Every request and response body is declared here exactly once and shared by the
//! server, the Terraform provider and the tests. Field names follow the JSON the official
//! `databricks-sdk` for Python sends and expects; optional fields are omitted when absent.
//!
//! With the `client` feature, [`client::Client`] is a typed async HTTP client over these types.

/// Declares a closed set of wire strings as an enum: `as_str`, `ALL`, `Display`, and a strict
/// `FromStr`/`Deserialize` that rejects any other spelling with an [`UnknownValue`] naming the
/// allowed values (the server turns it into `INVALID_PARAMETER_VALUE`). Declaration order is
/// the `Ord` order.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The spelling on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::UnknownValue::new($what, s, &[$($wire),+])),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

pub mod account;
pub mod clusters;
pub mod compute;
pub mod error;
pub mod ip_access_lists;
pub mod log_delivery;
pub mod oauth;
pub mod permissions;
pub mod private_link;
pub mod scim;
pub mod secrets;
pub mod tokens;
pub mod validate;
pub mod workspace_assignment;
pub mod workspace_conf;
pub mod workspace_objects;

#[cfg(feature = "client")]
pub mod client;

pub use error::{ErrorBody, ErrorCode};

/// An empty JSON object, the body of most Databricks `delete` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Empty {}

/// A string outside a closed set of wire values (a permission level, a patch `op`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// What the value names, e.g. `permission_level`.
    pub what: &'static str,
    /// The rejected value, cut to 100 characters.
    pub value: String,
    /// The accepted spellings.
    pub expected: &'static [&'static str],
}

impl UnknownValue {
    /// The error for `value`, which is none of `expected`.
    pub fn new(what: &'static str, value: &str, expected: &'static [&'static str]) -> Self {
        Self {
            what,
            value: value.chars().take(100).collect(),
            expected,
        }
    }
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid {} `{}`; expected one of {}",
            self.what,
            self.value,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownValue {}
