//! The input validators: CIDR blocks and IP addresses, ARNs, AWS and VPC endpoint ids,
//! regions, bucket, secret and deployment names, dates, tags (`ironbrick_api::validate`, which
//! the server and the provider share), the server's `required`, workspace object paths and
//! the workspace host (`Host` header) parser.
//!
//! Every validator sees the whole input. Invariants: no panic; what a validator accepts has the
//! shape it promises and survives a round trip through its canonical spelling.
#![no_main]

use ironbrick::hosts::WorkspaceDomain;
use ironbrick::workspace::paths;
use ironbrick_api::validate as v;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(net) = v::parse_net(s) {
        assert_eq!(net.trunc(), net, "{s:?}: host bits set");
        let again = v::parse_net(&net.to_string()).expect("canonical form parses");
        assert_eq!(again, net);
    }

    if let Ok(arn) = v::kms_key_arn(s) {
        assert!(v::is_region(&arn.region));
        assert!(arn.account.len() == 12 && arn.account.bytes().all(|b| b.is_ascii_digit()));
        assert!(!arn.key_id.is_empty() && arn.key_id.len() <= 128);
        let rebuilt = format!(
            "arn:aws:kms:{}:{}:key/{}",
            arn.region, arn.account, arn.key_id
        );
        assert_eq!(v::kms_key_arn(&rebuilt), Ok(arn));
    }
    if v::iam_role_arn("role_arn", s).is_ok() {
        assert!(s.starts_with("arn:aws") && s.contains(":iam::") && s.contains(":role/"));
    }
    for prefix in ["vpc-", "subnet-", "sg-"] {
        if v::aws_id("id", prefix, s).is_ok() {
            let rest = &s[prefix.len()..];
            assert!(rest.bytes().all(|b| b.is_ascii_hexdigit()), "{s:?}");
        }
    }
    if v::vpc_endpoint_id("aws_vpc_endpoint_id", s).is_ok() {
        assert_eq!(s.len(), 22);
    }
    if let Ok(r) = v::region("region", s) {
        assert_eq!(r, s);
        assert!(s.is_ascii());
    }
    let _ = v::bucket_name(s);
    let _ = v::delivery_path_prefix(s);
    if let Ok((y, m, d)) = v::delivery_start_time(s) {
        let canonical = format!("{y:04}-{m:02}-{d:02}");
        assert_eq!(v::delivery_start_time(&canonical), Ok((y, m, d)));
    }
    if let Ok(name) = v::secret_name("scope", s) {
        assert!((1..=128).contains(&name.len()));
    }
    let deployment_ok = v::deployment_name(s).is_ok();
    let _ = v::sts_external_id("external_id", s);
    let (k, val) = s.split_once('=').unwrap_or((s, ""));
    let tags: BTreeMap<String, String> = [(k.to_owned(), val.to_owned())].into();
    let _ = v::custom_tags(&tags);

    if let Ok(r) = ironbrick::validate::required("name", s) {
        assert_eq!(r, s.trim());
    }
    if let Ok(p) = paths::normalize(s) {
        assert_eq!(
            paths::normalize(&p).ok().as_deref(),
            Some(p.as_str()),
            "idempotent"
        );
        let _ = paths::parent(&p);
    }

    let domain = WorkspaceDomain::new(
        "ironbrick.example.com",
        "https://ironbrick.example.com:8443",
    )
    .expect("a valid domain");
    if let Some(name) = domain.deployment_of(s) {
        assert!(!name.is_empty());
    }
    if deployment_ok {
        assert_eq!(domain.deployment_of(&domain.host(s)).as_deref(), Some(s));
    }
});
