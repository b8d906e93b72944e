//! PROXY protocol (v1 and v2) in front of the server, as AWS Network Load Balancers send it
//! for PrivateLink traffic (`ironbrick serve --proxy-protocol`).
//!
//! A connection may start with a PROXY header only when its TCP peer is a trusted proxy
//! (`--trusted-proxy`); from anyone else a header is refused and the connection closed. The
//! header gives the client's address and, in AWS's TLV (type 0xEA, subtype 0x01), the id of
//! the VPC endpoint the traffic came through. Connections without a header are direct traffic.
//!
//! Headers are read by a task per connection, with a deadline, so a client that connects and
//! sends nothing holds up no one else.

use ipnet::IpNet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

/// AWS's TLV type, and the subtype carrying the VPC endpoint id.
const PP2_TYPE_AWS: u8 = 0xEA;
const PP2_SUBTYPE_AWS_VPCE_ID: u8 = 0x01;
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// The longest v1 header (the spec's bound).
const V1_MAX: usize = 107;
/// How long a connection may take to send its header.
const HEADER_DEADLINE: Duration = Duration::from_secs(5);

/// Where a connection comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The TCP peer: the load balancer, or the client itself.
    pub peer: SocketAddr,
    /// The client: from the PROXY header when there was one, else the peer.
    pub client: SocketAddr,
    /// The AWS VPC endpoint id (`vpce-...`) the traffic came through, if the header named one.
    pub vpc_endpoint: Option<String>,
}

/// Why a connection's start was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("a PROXY header from {0}, which is not a trusted proxy")]
    Untrusted(SocketAddr),
    #[error("a malformed PROXY header: {0}")]
    Malformed(String),
}

/// What the first bytes of a connection are.
#[doc(hidden)]
#[derive(Debug, PartialEq, Eq)]
pub enum Start {
    /// A complete header of this many bytes.
    Header(usize),
    /// No header.
    Plain,
    /// Not enough bytes yet to tell.
    NeedMore,
}

/// Classifies the first bytes of a connection (as peeked, at most 536 of them).
///
/// Public (but hidden) only for the fuzz targets in `fuzz/`, which feed it, and [`parse`], the
/// same bytes the listener reads; not part of the crate's API.
#[doc(hidden)]
pub fn classify(buf: &[u8]) -> Result<Start, Refused> {
    let n = buf.len().min(V2_SIGNATURE.len());
    if buf[..n] == V2_SIGNATURE[..n] {
        if buf.len() < 16 {
            return Ok(Start::NeedMore);
        }
        let len = u16::from_be_bytes([buf[14], buf[15]]) as usize;
        return Ok(if buf.len() >= 16 + len {
            Start::Header(16 + len)
        } else {
            Start::NeedMore
        });
    }
    let n = buf.len().min(6);
    if buf[..n] == b"PROXY "[..n] {
        if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
            return Ok(Start::Header(end + 2));
        }
        if buf.len() >= V1_MAX {
            return Err(Refused::Malformed(
                "a v1 header longer than 107 bytes".into(),
            ));
        }
        return Ok(Start::NeedMore);
    }
    Ok(Start::Plain)
}

/// The origin a complete header describes.
pub fn parse(header: &[u8], peer: SocketAddr) -> Result<Origin, Refused> {
    let malformed = |e: String| Refused::Malformed(e);
    let mut origin = Origin {
        peer,
        client: peer,
        vpc_endpoint: None,
    };
    match ppp::HeaderResult::parse(header) {
        ppp::HeaderResult::V2(Ok(h)) => {
            if h.command == ppp::v2::Command::Local {
                return Ok(origin);
            }
            match h.addresses {
                ppp::v2::Addresses::IPv4(a) => {
                    origin.client = SocketAddr::from((a.source_address, a.source_port));
                }
                ppp::v2::Addresses::IPv6(a) => {
                    origin.client = SocketAddr::from((a.source_address, a.source_port));
                }
                _ => {}
            }
            for tlv in h.tlvs() {
                let tlv = tlv.map_err(|e| malformed(e.to_string()))?;
                if tlv.kind == PP2_TYPE_AWS && tlv.value.first() == Some(&PP2_SUBTYPE_AWS_VPCE_ID) {
                    // AWS sends `vpce-` and 17 hex digits; anything else is refused rather
                    // than carried (lossily decoded) into private access checks and the audit.
                    let id = std::str::from_utf8(&tlv.value[1..])
                        .ok()
                        .filter(|id| {
                            ironbrick_api::validate::vpc_endpoint_id("vpc endpoint", id).is_ok()
                        })
                        .ok_or_else(|| {
                            malformed("the AWS VPC endpoint TLV is not a VPC endpoint id".into())
                        })?;
                    origin.vpc_endpoint = Some(id.to_owned());
                }
            }
            Ok(origin)
        }
        ppp::HeaderResult::V1(Ok(h)) => {
            match h.addresses {
                ppp::v1::Addresses::Tcp4(a) => {
                    origin.client = SocketAddr::from((a.source_address, a.source_port));
                }
                ppp::v1::Addresses::Tcp6(a) => {
                    origin.client = SocketAddr::from((a.source_address, a.source_port));
                }
                ppp::v1::Addresses::Unknown => {}
            }
            Ok(origin)
        }
        ppp::HeaderResult::V2(Err(e)) => Err(malformed(e.to_string())),
        ppp::HeaderResult::V1(Err(e)) => Err(malformed(e.to_string())),
    }
}

/// Reads a connection's PROXY header, if it has one.
async fn read_origin(
    stream: &mut TcpStream,
    peer: SocketAddr,
    trusted: &[IpNet],
) -> Result<Origin, Refused> {
    let mut buf = [0u8; 536];
    let len = loop {
        let n = stream
            .peek(&mut buf)
            .await
            .map_err(|e| Refused::Malformed(e.to_string()))?;
        if n == 0 {
            return Err(Refused::Malformed("the connection closed".into()));
        }
        match classify(&buf[..n])? {
            Start::Plain => {
                return Ok(Origin {
                    peer,
                    client: peer,
                    vpc_endpoint: None,
                })
            }
            Start::Header(len) => break len,
            Start::NeedMore if n == buf.len() => {
                return Err(Refused::Malformed("a header longer than 536 bytes".into()))
            }
            Start::NeedMore => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    };
    if !trusted.iter().any(|net| net.contains(&peer.ip())) {
        return Err(Refused::Untrusted(peer));
    }
    let mut header = vec![0u8; len];
    stream
        .read_exact(&mut header)
        .await
        .map_err(|e| Refused::Malformed(e.to_string()))?;
    parse(&header, peer)
}

/// A TCP listener that reads PROXY headers.
///
/// Each connection takes a permit from the server's connection limit before it is accepted
/// ([`crate::listen`]), and holds it while its header is read and while it is served.
#[derive(Debug)]
pub struct ProxyListener {
    accepted: mpsc::Receiver<(TcpStream, Origin, OwnedSemaphorePermit)>,
}

impl ProxyListener {
    /// Accepts on `listener`, trusting headers from `trusted` peers only, one connection per
    /// permit of `permits`.
    pub fn new(listener: TcpListener, trusted: Vec<IpNet>, permits: Arc<Semaphore>) -> Self {
        let (tx, accepted) = mpsc::channel(256);
        tokio::spawn(async move {
            loop {
                let permit = tokio::select! {
                    p = permits.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => return,
                    },
                    () = tx.closed() => return,
                };
                let (mut stream, peer) = tokio::select! {
                    c = listener.accept() => match c {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                    () = tx.closed() => return,
                };
                let (sender, trusted) = (tx.clone(), trusted.clone());
                tokio::spawn(async move {
                    let read = tokio::time::timeout(
                        HEADER_DEADLINE,
                        read_origin(&mut stream, peer, &trusted),
                    )
                    .await;
                    match read {
                        Ok(Ok(origin)) => {
                            let _ = sender.send((stream, origin, permit)).await;
                        }
                        Ok(Err(why)) => tracing::warn!(%peer, %why, "connection refused"),
                        Err(_) => tracing::warn!(%peer, "no request within the header deadline"),
                    }
                });
            }
        });
        Self { accepted }
    }

    /// The next connection whose header (if any) was read, with its origin and permit; `None`
    /// once the listener has stopped.
    pub async fn accept(&mut self) -> Option<(TcpStream, Origin, OwnedSemaphorePermit)> {
        self.accepted.recv().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(client: [u8; 4], vpce: Option<&str>) -> Vec<u8> {
        let mut tlvs = Vec::new();
        if let Some(id) = vpce {
            tlvs.push(PP2_TYPE_AWS);
            tlvs.extend(((id.len() + 1) as u16).to_be_bytes());
            tlvs.push(PP2_SUBTYPE_AWS_VPCE_ID);
            tlvs.extend(id.as_bytes());
        }
        let mut out = V2_SIGNATURE.to_vec();
        out.extend([0x21, 0x11]);
        out.extend(((12 + tlvs.len()) as u16).to_be_bytes());
        out.extend(client);
        out.extend([10, 0, 0, 1]);
        out.extend(5555u16.to_be_bytes());
        out.extend(443u16.to_be_bytes());
        out.extend(tlvs);
        out
    }

    fn peer() -> SocketAddr {
        "127.0.0.9:40000".parse().unwrap()
    }

    #[test]
    fn v2_headers_give_the_client_and_the_vpc_endpoint() {
        let h = v2([192, 0, 2, 7], Some("vpce-0123456789abcdef0"));
        assert_eq!(classify(&h), Ok(Start::Header(h.len())));
        assert_eq!(classify(&h[..20]), Ok(Start::NeedMore));
        let o = parse(&h, peer()).unwrap();
        assert_eq!(o.client, "192.0.2.7:5555".parse().unwrap());
        assert_eq!(o.vpc_endpoint.as_deref(), Some("vpce-0123456789abcdef0"));
        assert_eq!(o.peer, peer());
    }

    /// Found by fuzzing (proxy_header): a VPC endpoint TLV of arbitrary bytes was decoded
    /// lossily and carried as the endpoint id. It is refused unless it is a VPC endpoint id.
    #[test]
    fn a_vpc_endpoint_tlv_must_hold_a_vpc_endpoint_id() {
        for bad in ["vp\u{ffff}", "vpce-0123", "", "vpce-0123456789abcdef0 / x"] {
            let h = v2([192, 0, 2, 7], Some(bad));
            assert!(
                matches!(parse(&h, peer()), Err(Refused::Malformed(_))),
                "{bad:?}"
            );
        }
        let mut h = v2([192, 0, 2, 7], Some("vpce-0123456789abcdef0"));
        let n = h.len();
        h[n - 3] = 0xff;
        assert!(parse(&h, peer()).is_err(), "invalid UTF-8");
        let h = v2([192, 0, 2, 7], Some("vpce-0123456789abcdef0"));
        assert!(parse(&h, peer()).is_ok());
    }

    #[test]
    fn v1_headers_and_plain_requests() {
        let h = b"PROXY TCP4 198.51.100.4 10.0.0.1 6000 443\r\nGET / HTTP/1.1\r\n";
        assert_eq!(classify(h), Ok(Start::Header(43)));
        let o = parse(&h[..43], peer()).unwrap();
        assert_eq!(o.client, "198.51.100.4:6000".parse().unwrap());
        assert_eq!(o.vpc_endpoint, None);
        assert_eq!(classify(b"GET / HTTP/1.1\r\n"), Ok(Start::Plain));
        assert_eq!(classify(b"PRO"), Ok(Start::NeedMore));
        assert!(classify(&[b'P', b'R', b'O', b'X', b'Y', b' '].repeat(20)).is_err());
    }
}
