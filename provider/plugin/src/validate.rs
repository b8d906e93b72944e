//! Plan-time validation, so mistakes surface at `terraform plan` rather than at apply. The rules
//! are the backend's own (`ironbrick_api::validate`), so plan and apply never disagree.

use ironbrick_api::validate as rules;
use tf_framework::{Diagnostics, Dyn, Obj, Path, Value};

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
    rules::region("region", v).map(drop)
}

/// A KMS key ARN the backend accepts.
pub fn kms_key_arn(v: &str) -> Result<(), String> {
    rules::kms_key_arn(v).map(drop)
}

/// An IAM role ARN the backend accepts.
pub fn iam_role_arn(v: &str) -> Result<(), String> {
    rules::iam_role_arn("role_arn", v).map(drop)
}

/// An S3 bucket name the backend accepts.
pub fn bucket_name(v: &str) -> Result<(), String> {
    rules::bucket_name(v)
}

/// An IPv4/IPv6 address or CIDR block without host bits.
pub fn cidr(v: &str) -> Result<(), String> {
    rules::parse_net(v).map(drop)
}

/// A secret scope or key name.
pub fn secret_name(what: &'static str) -> impl Fn(&str) -> Result<(), String> {
    move |v| rules::secret_name(what, v).map(drop)
}

/// Refuses arguments that only mean something on other clouds (GCP or Azure blocks and fields)
/// when they are set: Ironbrick serves AWS workspaces. `names` are top-level attributes or
/// blocks of `o`; an empty block list counts as unset, and so does an unknown value (Terraform
/// validates with input variables still unknown, and checks again once they are known).
pub fn aws_only(o: &Obj, names: &[&str], diags: &mut Diagnostics) {
    for name in names {
        let set = match o.get(name) {
            Dyn::Null | Dyn::Unknown => false,
            Dyn::List(items) => !items.is_empty(),
            _ => true,
        };
        if set {
            diags.error_at(
                Path::attr(name),
                format!("{name} is not supported"),
                format!("{name} is not supported: Ironbrick serves AWS workspaces."),
            );
        }
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
    fn adapters_apply_the_backend_rules() {
        assert!(kms_key_arn("arn:aws:kms:us-east-1:123456789012:key/abc").is_ok());
        assert!(kms_key_arn("arn:aws:kms:mars:123456789012:key/abc").is_err());
        assert!(kms_key_arn("arn:aws:kms:us-east-1:1234:key/abc").is_err());
        assert!(region("us-gov-west-1").is_ok() && region("US-EAST-1").is_err());
        assert!(iam_role_arn("arn:aws:iam::123456789012:role/x").is_ok());
        assert!(iam_role_arn("arn:aws:iam::123456789012:user/x").is_err());
        assert!(cidr("10.0.0.0/8").is_ok() && cidr("127.0.0.1").is_ok() && cidr("::1/128").is_ok());
        assert!(cidr("10.0.0.0/33").is_err() && cidr("nope").is_err());
        assert!(cidr("10.1.2.3/8").unwrap_err().contains("10.0.0.0/8"));
        assert!(secret_name("scope name")("a b").is_err());
    }

    #[test]
    fn aws_only_refuses_set_values_only() {
        let mut o = Obj::new();
        o.set("azure_use_msi", false)
            .set("gcp", Dyn::List(vec![]))
            .set("google_credentials", Dyn::Unknown)
            .set("azure_client_id", Dyn::Null);
        let names = [
            "azure_use_msi",
            "gcp",
            "google_credentials",
            "azure_client_id",
        ];
        let mut diags = Diagnostics::default();
        aws_only(&o, &names, &mut diags);
        let out = format!("{diags:?}");
        assert!(out.contains("azure_use_msi is not supported"), "{out}");
        for quiet in ["gcp is", "google_credentials", "azure_client_id"] {
            assert!(!out.contains(quiet), "{quiet}: {out}");
        }
    }
}
