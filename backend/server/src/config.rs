//! Command-line interface and configuration (every flag has an environment equivalent).

use crate::storage::StoreChoice;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Ironbrick: a self-hostable workspace-security control plane speaking the Databricks account
/// and workspace REST API 2.0.
#[derive(Debug, Parser)]
#[command(name = "ironbrick", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the control plane.
    ///
    /// On first start with an empty data dir it creates the account and its admin and writes
    /// <data-dir>/bootstrap.json (mode 0600) with `host`, `account_id`, `token` and `password`.
    /// GET /healthz answers 200 when ready; SIGTERM drains requests and flushes the store.
    Serve(Box<ServeArgs>),
    /// Manage the embedded development key store (`--kms local`) of a data dir: list, create,
    /// disable and enable keys. A running server sees changes at once (after its cached data
    /// keys expire, `--dek-cache-ttl`).
    Kms(KmsArgs),
    /// Copy a whole installation from one store to another (a sled data dir, `PATH` or
    /// `sled:PATH`, or a postgres:// URL), byte for byte, then verify the copy.
    ///
    /// Every tree and key moves as stored: sealed data and wrapped keys stay wrapped (nothing is
    /// decrypted), tokens keep working. The local key store moves with the data (on sled it is
    /// <data-dir>/kms/keys.json, on PostgreSQL a document in the database). Stop every server
    /// first: a sled store a server holds, and a database servers are connected to, are
    /// refused. A target holding anything is refused unless --overwrite. The verification walks
    /// both stores and compares every entry; it prints per-tree counts and SHA-256 digests and
    /// fails (non-zero exit) on any difference.
    Migrate(crate::migrate::MigrateArgs),
}

/// Flags of `ironbrick kms`.
#[derive(Debug, Clone, Args)]
pub struct KmsArgs {
    /// The server's data directory.
    #[arg(long, env = "IRONBRICK_DATA_DIR", default_value = "./ironbrick-data")]
    pub data_dir: PathBuf,

    /// The server's store: with a postgres:// URL the key store lives in that database.
    #[arg(
        long,
        env = "IRONBRICK_STORE",
        default_value = "sled",
        hide_env_values = true
    )]
    pub store: StoreChoice,

    #[command(subcommand)]
    pub command: KmsCommand,
}

/// Local key store commands.
#[derive(Debug, Clone, Subcommand)]
pub enum KmsCommand {
    /// List keys and whether they are enabled.
    List,
    /// Create a key and print its ARN.
    CreateKey {
        /// AWS region named in the ARN (customer keys for notebooks must be in us-east-1,
        /// us-east-2 or us-west-2).
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
    /// Disable a key: reads and writes of protected data fail once cached keys expire.
    Disable { arn: String },
    /// Enable a key again: access returns without a restart.
    Enable { arn: String },
}

/// Which key management service wraps workspace data keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KmsKind {
    /// Embedded development key store in the data dir (zero setup).
    Local,
    /// AWS KMS through aws-sdk-kms (credentials from the usual AWS chain).
    Aws,
}

/// Flags of `ironbrick serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (use port 0 for any free port).
    #[arg(long, env = "IRONBRICK_LISTEN", default_value = "127.0.0.1:8420")]
    pub listen: SocketAddr,

    /// Directory holding the database (with `--store sled`), the local KMS and bootstrap.json.
    #[arg(long, env = "IRONBRICK_DATA_DIR", default_value = "./ironbrick-data")]
    pub data_dir: PathBuf,

    /// Where the control plane's state lives: `sled` (embedded, in <data-dir>/db) or a
    /// PostgreSQL URL, `postgres://user:password@host:port/dbname` (the schema is created or
    /// migrated at start). The password is never logged.
    #[arg(
        long,
        env = "IRONBRICK_STORE",
        default_value = "sled",
        hide_env_values = true
    )]
    pub store: StoreChoice,

    /// Free space (MiB) kept on the data dir's file system with `--store sled`: below it,
    /// changes are refused with 503 TEMPORARILY_UNAVAILABLE ("disk is full") before anything
    /// is written, reads keep working, and writes resume by themselves once space is freed.
    /// 0 turns the reserve off (sled then meets the full disk itself: the store is reopened
    /// once space returns, and until then some reads may be refused too).
    #[arg(long, env = "IRONBRICK_MIN_FREE_MIB", default_value_t = 8)]
    pub min_free_mib: u64,

    /// Memory (MiB) sled's page cache may use with `--store sled`, whatever the size of the
    /// database: pages beyond it are read from disk again (the operating system's page cache
    /// usually still holds them).
    #[arg(long, env = "IRONBRICK_STORE_CACHE_MIB", default_value_t = ironbrick_store::DEFAULT_CACHE_BYTES >> 20)]
    pub store_cache_mib: u64,

    /// Connections to PostgreSQL this server keeps at most (with a postgres:// store).
    #[arg(long, env = "IRONBRICK_STORE_POOL_SIZE", default_value_t = ironbrick_store::DEFAULT_POOL_SIZE)]
    pub store_pool_size: usize,

    /// Account id (a UUID) to create on first start; generated when absent.
    #[arg(long, env = "IRONBRICK_ACCOUNT_ID")]
    pub account_id: Option<String>,

    /// Token value of the account admin; generated on first start when absent.
    #[arg(long, env = "IRONBRICK_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Password of the account admin (`admin@ironbrick.local`) for HTTP Basic sign-in; set (or
    /// changed) at every start when given. Without it, a random one is generated on first
    /// start (or the first start of a data dir whose admin has none) into bootstrap.json as
    /// `password`.
    #[arg(long, env = "IRONBRICK_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Key management service for customer-managed keys.
    #[arg(long, env = "IRONBRICK_KMS", value_enum, default_value = "local")]
    pub kms: KmsKind,

    /// Endpoint override for AWS KMS (e.g. moto or LocalStack at http://127.0.0.1:5000).
    #[arg(long, env = "IRONBRICK_KMS_ENDPOINT")]
    pub kms_endpoint: Option<String>,

    /// Endpoint override for S3, where log delivery writes (e.g. moto at http://127.0.0.1:5000);
    /// requests then use path-style addressing.
    #[arg(long, env = "IRONBRICK_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// Endpoint override for STS, through which log delivery assumes the credential
    /// configuration's role.
    #[arg(long, env = "IRONBRICK_STS_ENDPOINT")]
    pub sts_endpoint: Option<String>,

    /// How often enabled log delivery configurations deliver what is pending (e.g. 5m, 2s).
    #[arg(long, env = "IRONBRICK_LOG_DELIVERY_INTERVAL", default_value = "5m", value_parser = humantime::parse_duration)]
    pub log_delivery_interval: std::time::Duration,

    /// How long an unwrapped data key stays cached in memory (e.g. 300s, 5m, 500ms).
    #[arg(long, env = "IRONBRICK_DEK_CACHE_TTL", default_value = "300s", value_parser = humantime::parse_duration)]
    pub dek_cache_ttl: Duration,

    /// Base URL clients use to reach this server; defaults to http://<listen address>.
    #[arg(long, env = "IRONBRICK_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Also serve each workspace at its own host, `{scheme}://{deployment_name}.{DOMAIN}[:port]`
    /// (routed by the Host header; scheme and port from the public URL), and make that its
    /// workspace_url. The path form {public-url}/w/{workspace_id} keeps working. The names must
    /// resolve to this server: `localhost` does on most systems (`*.localhost`), or use a
    /// wildcard DNS record.
    #[arg(long, env = "IRONBRICK_WORKSPACE_DOMAIN")]
    pub workspace_domain: Option<String>,

    /// How long a new workspace stays PROVISIONING before it is RUNNING.
    #[arg(long, env = "IRONBRICK_PROVISIONING_DELAY", default_value = "0s", value_parser = humantime::parse_duration)]
    pub provisioning_delay: Duration,

    /// A proxy (IP or CIDR) whose X-Forwarded-For header is trusted for the client address.
    /// Repeat, or separate with commas in the environment variable.
    #[arg(
        long = "trusted-proxy",
        env = "IRONBRICK_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Accept PROXY protocol v1/v2 headers (as AWS Network Load Balancers send them for
    /// PrivateLink) from `--trusted-proxy` peers; a header from anyone else is refused.
    #[arg(long, env = "IRONBRICK_PROXY_PROTOCOL")]
    pub proxy_protocol: bool,

    /// Lifetime of OAuth access tokens issued to service principals (tests shorten it).
    #[arg(long, env = "IRONBRICK_OAUTH_TOKEN_TTL", default_value = "1h", value_parser = humantime::parse_duration, hide = true)]
    pub oauth_token_ttl: Duration,

    /// First back-off after repeated failed password sign-ins; it doubles with every further
    /// failure, up to 15 minutes (tests shorten it).
    #[arg(long, env = "IRONBRICK_PASSWORD_BACKOFF", default_value = "1s", value_parser = humantime::parse_duration, hide = true)]
    pub password_backoff: Duration,

    /// How long clusters stay PENDING, RESTARTING, RESIZING or TERMINATING (Ironbrick starts no
    /// machines: the state moves on by the clock).
    #[arg(long, env = "IRONBRICK_CLUSTER_TRANSITION", default_value = "1s", value_parser = humantime::parse_duration)]
    pub cluster_transition: Duration,

    /// Requests a second each principal may make (token bucket refill rate), whatever its
    /// credential; over it the answer is 429 REQUEST_LIMIT_EXCEEDED with Retry-After. 0: off.
    /// Per process: with N replicas behind a balancer a principal gets up to N times this.
    #[arg(long, env = "IRONBRICK_RATE_LIMIT", default_value_t = 1000.0, value_parser = non_negative)]
    pub rate_limit: f64,

    /// Requests a principal may make at once after a quiet spell (token bucket size).
    #[arg(long, env = "IRONBRICK_RATE_LIMIT_BURST", default_value_t = 2000)]
    pub rate_limit_burst: u32,

    /// Failed authentications (401 answers) a second per client address (IPv6: per /64); while
    /// an address is over it, all its requests are answered 429. 0: off. Per process, like
    /// --rate-limit (password guesses are also throttled per user, across replicas).
    #[arg(long, env = "IRONBRICK_IP_RATE_LIMIT", default_value_t = 100.0, value_parser = non_negative)]
    pub ip_rate_limit: f64,

    /// Failed authentications a client address may make at once.
    #[arg(long, env = "IRONBRICK_IP_RATE_LIMIT_BURST", default_value_t = 200)]
    pub ip_rate_limit_burst: u32,

    /// Largest request body in bytes (413 REQUEST_LIMIT_EXCEEDED above it). The default, 16 MiB,
    /// takes a 10 MB notebook import base64-encoded in JSON.
    #[arg(long, env = "IRONBRICK_MAX_BODY_BYTES", default_value_t = crate::limits::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// Largest total of request header lines in bytes (431 REQUEST_LIMIT_EXCEEDED above it; a
    /// request head over twice this is refused by the HTTP layer itself: 431, empty body).
    #[arg(long, env = "IRONBRICK_MAX_HEADER_BYTES", default_value_t = crate::limits::DEFAULT_MAX_HEADER_BYTES)]
    pub max_header_bytes: usize,

    /// How long a client may take to send a request's head; a connection waiting longer for
    /// one (a slow client, or a kept-alive connection idle between requests) is closed.
    #[arg(long, env = "IRONBRICK_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_read_timeout: Duration,

    /// How long a client may take to send a request's body, from the end of its head.
    #[arg(long, env = "IRONBRICK_BODY_READ_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub body_read_timeout: Duration,

    /// Connections served at once by this process; while that many are open, further ones
    /// wait in the listen backlog until one closes. Capped by the open-file limit (raised to
    /// its hard limit at start).
    #[arg(long, env = "IRONBRICK_MAX_CONNECTIONS", default_value_t = 16_384)]
    pub max_connections: usize,
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v >= 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a non-negative number")),
    }
}

impl ServeArgs {
    /// The request limits these flags set.
    pub fn limits(&self) -> crate::limits::Limits {
        use crate::limits::rate::Rate;
        crate::limits::Limits {
            principal_rate: Rate {
                per_second: self.rate_limit,
                burst: self.rate_limit_burst,
            },
            ip_rate: Rate {
                per_second: self.ip_rate_limit,
                burst: self.ip_rate_limit_burst,
            },
            max_body_bytes: self.max_body_bytes,
            max_header_bytes: self.max_header_bytes.max(1024),
            header_read_timeout: self.header_read_timeout,
            body_read_timeout: self.body_read_timeout,
            max_connections: self.max_connections.max(1),
        }
    }
}
