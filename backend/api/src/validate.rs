//! Input rules shared by the server (which answers INVALID_PARAMETER_VALUE) and the Terraform
//! provider (which reports the same rules at plan time). Each check returns the message the
//! server sends, naming the field.

use ipnet::IpNet;
use std::net::IpAddr;

/// A KMS key ARN, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsArn {
    pub region: String,
    pub account: String,
    pub key_id: String,
}

/// Whether `s` looks like an AWS region (`us-east-1`, `us-gov-west-1`, `ap-southeast-3`...).
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let lower = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase());
    match parts.as_slice() {
        [geo, dir, n] => geo.len() == 2 && lower(geo) && lower(dir) && is_small_number(n),
        [geo, "gov", dir, n] => geo.len() == 2 && lower(geo) && lower(dir) && is_small_number(n),
        _ => false,
    }
}

fn is_small_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 2 && s.chars().all(|c| c.is_ascii_digit())
}

/// Requires a valid AWS region.
pub fn region(field: &str, value: &str) -> Result<String, String> {
    if is_region(value) {
        Ok(value.to_string())
    } else {
        Err(format!("{field} {value:?} is not a valid AWS region."))
    }
}

fn arn_parts(arn: &str) -> Option<[&str; 6]> {
    let mut it = arn.splitn(6, ':');
    let parts = [
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ];
    let partition_ok = parts[1] == "aws" || parts[1].starts_with("aws-");
    (parts[0] == "arn" && partition_ok).then_some(parts)
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.chars().all(|c| c.is_ascii_digit())
}

/// Parses a KMS key ARN `arn:aws:kms:<region>:<12-digit account>:key/<id>`.
pub fn kms_key_arn(arn: &str) -> Result<KmsArn, String> {
    let bad = || {
        format!(
            "key_arn {arn:?} is not a valid KMS key ARN (expected arn:aws:kms:<region>:<account>:key/<key-id>)."
        )
    };
    let [_, _, service, region, account, resource] = arn_parts(arn).ok_or_else(bad)?;
    let key_id = resource.strip_prefix("key/").ok_or_else(bad)?;
    let id_ok = !key_id.is_empty()
        && key_id.len() <= 128
        && key_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if service != "kms" || !is_region(region) || !is_account(account) || !id_ok {
        return Err(bad());
    }
    Ok(KmsArn {
        region: region.to_string(),
        account: account.to_string(),
        key_id: key_id.to_string(),
    })
}

/// Requires an IAM role ARN `arn:aws:iam::<12-digit account>:role/<name>`.
pub fn iam_role_arn(field: &str, arn: &str) -> Result<(), String> {
    let ok = arn_parts(arn).is_some_and(|[_, _, service, region, account, resource]| {
        service == "iam"
            && region.is_empty()
            && is_account(account)
            && resource
                .strip_prefix("role/")
                .is_some_and(|n| !n.is_empty())
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{field} {arn:?} is not a valid IAM role ARN (expected arn:aws:iam::<account>:role/<name>).",
        ))
    }
}

/// Requires an AWS resource id with `prefix` (`vpc-`, `subnet-`, `sg-`) followed by hex digits.
pub fn aws_id(field: &str, prefix: &str, value: &str) -> Result<(), String> {
    let ok = value.strip_prefix(prefix).is_some_and(|rest| {
        (8..=17).contains(&rest.len()) && rest.chars().all(|c| c.is_ascii_hexdigit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{field} {value:?} is not a valid AWS id (expected {prefix}<8 or 17 hex digits>).",
        ))
    }
}

/// Requires an AWS VPC endpoint id: `vpce-` followed by 17 hex digits.
pub fn vpc_endpoint_id(field: &str, value: &str) -> Result<(), String> {
    let ok = value
        .strip_prefix("vpce-")
        .is_some_and(|rest| rest.len() == 17 && rest.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{field} {value:?} is not a VPC endpoint id (vpce- and 17 hex digits)."
        ))
    }
}

/// Requires an S3 bucket name.
pub fn bucket_name(value: &str) -> Result<(), String> {
    let ok = (3..=63).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bucket_name {value:?} is not a valid S3 bucket name.",
        ))
    }
}

/// Requires a log delivery path prefix: a valid S3 key prefix of at most 512 characters, not
/// starting or ending with `/` (Databricks' rule), made of S3's safe characters (letters,
/// digits, `!-_.*'()` and `/` between segments), with no empty, `.` or `..` segment.
pub fn delivery_path_prefix(value: &str) -> Result<(), String> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "!-_.*'()=".contains(c);
    let segments_ok = value
        .split('/')
        .all(|s| !s.is_empty() && s != "." && s != ".." && s.chars().all(safe));
    if value.is_empty() || (value.len() <= 512 && segments_ok) {
        Ok(())
    } else {
        Err(format!(
            "delivery_path_prefix {:?} is not a valid S3 key prefix: use letters, digits, \
             !-_.*'()= and / between non-empty segments, not at the start or the end, \
             at most 512 characters.",
            value.chars().take(100).collect::<String>()
        ))
    }
}

/// Parses a log delivery start date, `yyyy-mm-dd` (or `yyyy-mm`, the first of that month), no
/// earlier than 2019-03-01 (billable usage is not available before March 2019): answers
/// `(year, month, day)`.
pub fn delivery_start_time(value: &str) -> Result<(i32, u32, u32), String> {
    let bad = || {
        format!(
            "delivery_start_time {:?} is not a date in yyyy-mm-dd format (UTC) on or after \
             2019-03-01.",
            value.chars().take(40).collect::<String>()
        )
    };
    let parts: Vec<&str> = value.split('-').collect();
    let number = |s: &str, len: usize| {
        (s.len() == len && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (year, month, day) = match parts.as_slice() {
        [y, m] => (number(y, 4), number(m, 2), Some(1)),
        [y, m, d] => (number(y, 4), number(m, 2), number(d, 2)),
        _ => return Err(bad()),
    };
    let (Some(year), Some(month), Some(day)) = (year, month, day) else {
        return Err(bad());
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if day == 0 || day > days || (year, month) < (2019, 3) {
        return Err(bad());
    }
    let year = i32::try_from(year).map_err(|_| bad())?;
    Ok((year, month, day))
}

/// Requires a secret scope or key name: 1-128 letters, digits, `-`, `_` and `.`.
pub fn secret_name(field: &str, value: &str) -> Result<String, String> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(value.to_string())
    } else {
        Err(format!(
            "{field} {value:?} must be 1-128 characters of letters, digits, '-', '_' and '.'."
        ))
    }
}

/// Longest workspace deployment name: one DNS label.
pub const DEPLOYMENT_NAME_MAX: usize = 63;

/// Requires a workspace deployment name, the first label of the workspace's host name
/// (`<deployment_name>.<domain>`): 1-63 lowercase letters, digits and hyphens, starting and
/// ending with a letter or digit, as DNS allows in a subdomain. Databricks' reserved keyword
/// `EMPTY` (the account's deployment name prefix alone) is refused: Ironbrick accounts have no
/// prefix.
pub fn deployment_name(value: &str) -> Result<(), String> {
    if value == "EMPTY" {
        return Err(
            "deployment_name EMPTY means the account's deployment name prefix alone, and this account has no prefix."
                .to_string(),
        );
    }
    let ok = (1..=DEPLOYMENT_NAME_MAX).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "deployment_name {value:?} must be 1-{DEPLOYMENT_NAME_MAX} lowercase letters, digits and hyphens, starting and ending with a letter or digit (it becomes part of the workspace's host name)."
        ))
    }
}

/// Longest custom tag key, in characters.
pub const TAG_KEY_MAX: usize = 127;
/// Longest custom tag value, in characters.
pub const TAG_VALUE_MAX: usize = 255;

/// Requires workspace custom tags as Databricks accepts them: keys of 1-127 characters, values
/// of at most 255 (an empty value is allowed). Keys may not use the `aws:` prefix AWS reserves.
pub fn custom_tags<'a>(
    tags: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Result<(), String> {
    for (k, v) in tags {
        let len = k.chars().count();
        if len == 0 || len > TAG_KEY_MAX {
            return Err(format!(
                "custom_tags key {k:?} must be 1-{TAG_KEY_MAX} characters."
            ));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(format!(
                "custom_tags key {k:?} uses the prefix aws:, which AWS reserves."
            ));
        }
        if v.chars().count() > TAG_VALUE_MAX {
            return Err(format!(
                "custom_tags value of {k:?} is longer than {TAG_VALUE_MAX} characters."
            ));
        }
    }
    Ok(())
}

/// Requires an STS external id as AWS accepts it: 2-1224 characters of letters, digits and
/// `+=,.@:/-_`.
pub fn sts_external_id(field: &str, value: &str) -> Result<(), String> {
    let ok = (2..=1224).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{field} {value:?} must be 2-1224 letters, digits and +=,.@:/-_ characters."
        ))
    }
}

/// Parses an IP address or CIDR block as listed in an IP access list (no host bits set).
pub fn parse_net(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return if net.trunc() == net {
            Ok(net)
        } else {
            Err(format!(
                "{s} has host bits set; did you mean {}?",
                net.trunc()
            ))
        };
    }
    s.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("{s} is not a valid IP address or CIDR block"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn delivery_path_prefixes() {
        for ok in ["", "audit", "logs/audit-2024", "a/b_c/d.e=f"] {
            assert!(delivery_path_prefix(ok).is_ok(), "{ok}");
        }
        for bad in ["/a", "a/", "a//b", "a/../b", "a b", "a?b", &"x".repeat(513)] {
            assert!(delivery_path_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn delivery_start_times() {
        assert_eq!(delivery_start_time("2024-02-29"), Ok((2024, 2, 29)));
        assert_eq!(delivery_start_time("2024-07"), Ok((2024, 7, 1)));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2019-02-28",
            "24-01-01",
            "2024-1-1",
            "x",
            "",
        ] {
            assert!(delivery_start_time(bad).is_err(), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn kms_arns() {
        let ok = kms_key_arn(
            "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        )
        .unwrap();
        assert_eq!(ok.region, "us-west-2");
        assert_eq!(ok.account, "123456789012");
        for bad in [
            "arn:aws:kms:us-west-2:12345678901:key/abc",
            "arn:aws:kms:uswest2:123456789012:key/abc",
            "arn:aws:s3:us-west-2:123456789012:key/abc",
            "arn:aws:kms:us-west-2:123456789012:alias/abc",
            "arn:aws:kms:us-west-2:123456789012:key/",
            "nonsense",
        ] {
            assert!(kms_key_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_and_ids() {
        assert!(
            is_region("us-east-1") && is_region("us-gov-west-1") && is_region("ap-southeast-3")
        );
        assert!(!is_region("us-east") && !is_region("US-EAST-1") && !is_region("mars-1"));
        assert!(aws_id("vpc_id", "vpc-", "vpc-0123456789abcdef0").is_ok());
        assert!(aws_id("vpc_id", "vpc-", "vpc-xyz").is_err());
        assert!(iam_role_arn("role_arn", "arn:aws:iam::123456789012:role/databricks").is_ok());
        assert!(iam_role_arn("role_arn", "arn:aws:iam::123:role/x").is_err());
        assert!(bucket_name("my-bucket.1").is_ok() && bucket_name("My_Bucket").is_err());
        assert!(iam_role_arn("role_arn", "arn:aws:iam::123456789012:user/x").is_err());
        assert!(region("aws_region", "us-gov-west-1").is_ok());
        assert!(region("aws_region", "mars").is_err());
        assert!(secret_name("scope", "app-1.x_y").is_ok());
        assert!(secret_name("scope", "").is_err() && secret_name("scope", "a b").is_err());
        assert!(secret_name("key", &"k".repeat(129)).is_err());
    }

    #[test]
    fn deployment_names_tags_and_external_ids() {
        for ok in ["a", "dbc-1a2b3c4d-5e6f", "team-7", &"x".repeat(63)] {
            assert!(deployment_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "Abc",
            "a_b",
            "a.b",
            "EMPTY",
            &"x".repeat(64),
        ] {
            assert!(deployment_name(bad).is_err(), "{bad}");
        }
        let tags = |k: &str, v: &str| [(k.to_string(), v.to_string())];
        let check = |t: [(String, String); 1]| custom_tags(t.iter().map(|(k, v)| (k, v)));
        assert!(check(tags("team", "")).is_ok());
        assert!(check(tags(&"k".repeat(127), &"v".repeat(255))).is_ok());
        assert!(check(tags("", "v")).is_err());
        assert!(check(tags(&"k".repeat(128), "v")).is_err());
        assert!(check(tags("k", &"v".repeat(256))).is_err());
        assert!(check(tags("AWS:x", "v")).is_err());
        assert!(sts_external_id("external_id", "0f8e-acct:x@y").is_ok());
        assert!(sts_external_id("external_id", "a").is_err());
        assert!(sts_external_id("external_id", "has space").is_err());
    }

    #[test]
    fn networks() {
        assert!(parse_net("10.0.0.0/8").is_ok());
        assert!(parse_net("2001:db8::/32").is_ok());
        assert!(parse_net("1.2.3.4").is_ok());
        assert!(parse_net("::1/128").is_ok());
        assert!(parse_net("10.0.0.1/8").is_err());
        assert!(parse_net("10.1.2.3/8").unwrap_err().contains("10.0.0.0/8"));
        assert!(parse_net("300.1.1.1").is_err());
        assert!(parse_net("1.2.3.4/33").is_err());
        assert!(parse_net("banana").is_err());
    }
}
