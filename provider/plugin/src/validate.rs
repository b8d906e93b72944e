//! Plan-time validation, so mistakes surface at `terraform plan` rather than at apply.

use tf_framework::{Diagnostics, Obj, Path, Value};

/// Checks a known string attribute against `ok`, which explains what is wrong.
pub fn check(
    o: &Obj,
    name: &str,
    at: Path,
    diags: &mut Diagnostics,
    ok: impl Fn(&str) -> Result<(), String>,
) {
    if let Value::Known(v) = o.string(name) {
        if let Err(why) = ok(&v) {
            diags.error_at(at, format!("Invalid {name}"), why);
        }
    }
}

/// One of `allowed`.
pub fn one_of<'a>(allowed: &'a [&'a str]) -> impl Fn(&str) -> Result<(), String> + 'a {
    move |v| {
        if allowed.contains(&v) {
            Ok(())
        } else {
            Err(format!("{v:?} is not one of {allowed:?}."))
        }
    }
}

/// An AWS region name: `us-east-1`, `us-gov-west-1`, `ap-southeast-3`.
pub fn region(v: &str) -> Result<(), String> {
    let parts: Vec<&str> = v.split('-').collect();
    let lower = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    let ok = (3..=4).contains(&parts.len())
        && parts[..parts.len() - 1].iter().all(lower)
        && parts[parts.len() - 1].parse::<u8>().is_ok();
    if ok {
        Ok(())
    } else {
        Err(format!("{v:?} is not an AWS region such as us-east-1."))
    }
}

/// `arn:aws:kms:<region>:<12 digits>:key/<id>` or `alias/<name>`.
pub fn kms_key_arn(v: &str) -> Result<(), String> {
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "kms"
        && region(parts[3]).is_ok()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && (parts[5].strip_prefix("key/").is_some_and(|k| !k.is_empty())
            || parts[5]
                .strip_prefix("alias/")
                .is_some_and(|k| !k.is_empty()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{v:?} is not a KMS key ARN (arn:aws:kms:<region>:<12-digit account>:key/<key id>)."
        ))
    }
}

/// `arn:aws:iam::<12 digits>:role/<name>`.
pub fn iam_role_arn(v: &str) -> Result<(), String> {
    let ok = v
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(":role/"))
        .is_some_and(|(acct, name)| {
            acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{v:?} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)."
        ))
    }
}

/// An IPv4/IPv6 address or CIDR block without host bits.
pub fn cidr(v: &str) -> Result<(), String> {
    match v.parse::<ipnet::IpNet>() {
        Ok(net) if net.trunc() == net => Ok(()),
        Ok(net) => Err(format!(
            "{v:?} has host bits set; did you mean {}?",
            net.trunc()
        )),
        Err(_) if v.parse::<std::net::IpAddr>().is_ok() => Ok(()),
        Err(_) => Err(format!("{v:?} is not an IP address or CIDR block.")),
    }
}

/// Token lifetimes: positive seconds.
pub fn lifetime(o: &Obj, name: &str, at: Path, diags: &mut Diagnostics) {
    if let Value::Known(secs) = o.int(name) {
        if secs <= 0 {
            diags.error_at(
                at,
                format!("Invalid {name}"),
                format!("{secs} is not a positive number of seconds."),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns() {
        assert!(kms_key_arn("arn:aws:kms:us-east-1:123456789012:key/abc").is_ok());
        assert!(kms_key_arn("arn:aws:kms:mars:123456789012:key/abc").is_err());
        assert!(region("us-gov-west-1").is_ok() && region("US-EAST-1").is_err());
        assert!(kms_key_arn("arn:aws:kms:us-east-1:1234:key/abc").is_err());
        assert!(iam_role_arn("arn:aws:iam::123456789012:role/x").is_ok());
        assert!(iam_role_arn("arn:aws:iam::123456789012:user/x").is_err());
    }

    #[test]
    fn cidrs() {
        assert!(cidr("10.0.0.0/8").is_ok());
        assert!(cidr("127.0.0.1").is_ok());
        assert!(cidr("::1/128").is_ok());
        assert!(cidr("10.0.0.0/33").is_err());
        assert!(cidr("10.1.2.3/8").unwrap_err().contains("10.0.0.0/8"));
        assert!(cidr("nope").is_err());
    }
}
