//! Versioned records: every stored value starts with a one-byte format marker followed by its
//! JSON encoding, so a format can change later and old records migrate on read.

use crate::StoreError;
use serde::{de::DeserializeOwned, Serialize};

/// A type stored as a record.
pub trait Record: Serialize + DeserializeOwned {
    /// The format marker written in front of the encoding. DO NOT CHANGE for an existing
    /// format; add a new version and migrate in [`Record::migrate`] instead.
    const VERSION: u8 = 1;

    /// Decodes a record written with an older `version`. The default refuses.
    fn migrate(version: u8, _bytes: &[u8]) -> Result<Self, StoreError> {
        Err(StoreError::Corrupt(format!(
            "unknown record version {version}"
        )))
    }
}

/// Encodes `value` with its version marker.
pub fn encode<T: Record>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![T::VERSION];
    serde_json::to_writer(&mut out, value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(out)
}

/// Decodes a record, migrating older versions.
pub fn decode<T: Record>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&v, rest)) if v == T::VERSION => {
            serde_json::from_slice(rest).map_err(|e| StoreError::Corrupt(e.to_string()))
        }
        Some((&v, rest)) => T::migrate(v, rest),
        None => Err(StoreError::Corrupt("empty record".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct V2 {
        name: String,
        size: u32,
    }

    impl Record for V2 {
        const VERSION: u8 = 2;
        fn migrate(version: u8, bytes: &[u8]) -> Result<Self, StoreError> {
            #[derive(Deserialize)]
            struct V1 {
                name: String,
            }
            match version {
                1 => {
                    let old: V1 = serde_json::from_slice(bytes)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    Ok(V2 {
                        name: old.name,
                        size: 0,
                    })
                }
                _ => Err(StoreError::Corrupt(format!("unknown version {version}"))),
            }
        }
    }

    #[test]
    fn round_trip_keeps_the_marker() {
        let v = V2 {
            name: "a".into(),
            size: 3,
        };
        let bytes = encode(&v).unwrap();
        assert_eq!(bytes[0], 2);
        assert_eq!(decode::<V2>(&bytes).unwrap(), v);
    }

    #[test]
    fn older_versions_migrate_on_read() {
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(br#"{"name":"old"}"#);
        assert_eq!(
            decode::<V2>(&bytes).unwrap(),
            V2 {
                name: "old".into(),
                size: 0
            }
        );
        assert!(decode::<V2>(&[9, b'{', b'}']).is_err());
        assert!(decode::<V2>(&[]).is_err());
    }
}
