//! PROXY protocol headers (`ironbrick::proxy_protocol`): the first bytes of a connection from
//! a trusted load balancer, classified and parsed as the listener does (v1 text, v2 binary with
//! TLVs, AWS's VPC endpoint TLV).
//!
//! Invariants: no panic; a complete header is never longer than the bytes seen, and every
//! shorter prefix of it reads "need more" (the listener waits rather than cutting a header);
//! a VPC endpoint id taken from a header is one (`vpce-` and 17 hex digits).
#![no_main]

use ironbrick::proxy_protocol::{classify, parse, Start};
use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;

fuzz_target!(|data: &[u8]| {
    // The listener peeks at most 536 bytes and never classifies an empty read.
    let buf = &data[..data.len().min(536)];
    if buf.is_empty() {
        return;
    }
    let peer: SocketAddr = "10.0.0.9:40000".parse().expect("an address");
    match classify(buf) {
        Ok(Start::Header(len)) => {
            assert!(
                len > 0 && len <= buf.len(),
                "header of {len} in {} bytes",
                buf.len()
            );
            for cut in 1..len {
                assert!(
                    !matches!(classify(&buf[..cut]), Ok(Start::Header(_))),
                    "a prefix of {cut} bytes already reads as a complete header"
                );
            }
            if let Ok(origin) = parse(&buf[..len], peer) {
                assert_eq!(origin.peer, peer);
                if let Some(id) = &origin.vpc_endpoint {
                    assert!(
                        ironbrick_api::validate::vpc_endpoint_id("id", id).is_ok(),
                        "{id:?} is carried as a VPC endpoint id"
                    );
                }
            }
        }
        Ok(Start::Plain) | Ok(Start::NeedMore) | Err(_) => {}
    }
    // `parse` also sees whatever bytes a header claims, even ones `classify` would refuse.
    let _ = parse(buf, peer);
});
