//! `data "databricks_spark_version"`: a Databricks Runtime version of the workspace's
//! catalogue (`/api/2.1/clusters/spark-versions`) chosen as the official provider chooses it:
//! every flag must match the version's kind exactly (an ML runtime only with `ml = true`), and
//! of several matches the newest wins when `latest` (the default) is true.

use crate::common::{api_2_1, check_workspace_id, report, workspace, workspace_scoped, Conn};
use ironbrick_api::compute::{GetSparkVersionsResponse, SparkVersion};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, DataSource, Diagnostics, Obj, Schema, Ty};

pub struct SparkVersionData(pub Arc<Conn>);

/// The Scala version picked when `scala` is not set.
pub const DEFAULT_SCALA: &str = "2.12";

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub latest: bool,
    pub long_term_support: bool,
    pub ml: bool,
    pub genomics: bool,
    pub gpu: bool,
    pub beta: bool,
    pub photon: bool,
    pub graviton: bool,
    pub scala: String,
    pub spark_version: String,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            latest: true,
            long_term_support: false,
            ml: false,
            genomics: false,
            gpu: false,
            beta: false,
            photon: false,
            graviton: false,
            scala: DEFAULT_SCALA.to_owned(),
            spark_version: String::new(),
        }
    }
}

impl Request {
    /// The request a configuration makes.
    pub fn of(o: &Obj) -> Self {
        let d = Request::default();
        let flag = |name: &str, default: bool| o.bool(name).known().unwrap_or(default);
        Request {
            latest: flag("latest", d.latest),
            long_term_support: flag("long_term_support", false),
            ml: flag("ml", false),
            genomics: flag("genomics", false),
            gpu: flag("gpu", false),
            beta: flag("beta", false),
            photon: flag("photon", false),
            graviton: flag("graviton", false),
            scala: o.opt_str("scala").unwrap_or(d.scala),
            spark_version: o.opt_str("spark_version").unwrap_or_default(),
        }
    }

    /// Whether version `v` is what the request asks for.
    pub fn matches(&self, v: &SparkVersion) -> bool {
        let key = |part: &str| v.key.contains(part);
        let arm = key("-aarch64-") || key("-arm64-");
        let lts = v.name.contains("LTS") || key("-esr-");
        key(&format!("-scala{}", self.scala))
            && arm == self.graviton
            && key("-ml-") == self.ml
            && key("-hls-") == self.genomics
            && key("-gpu-") == self.gpu
            && key("-photon-") == self.photon
            && v.name.contains("Beta") == self.beta
            && (!self.long_term_support || lts)
            && (self.spark_version.is_empty()
                || v.name
                    .contains(&format!("Apache Spark {}", self.spark_version)))
    }
}

/// The numbers of a version key (`15.4.x-scala2.12` → `[15, 4]`), for ordering.
fn release(key: &str) -> Vec<u64> {
    key.split('-')
        .next()
        .unwrap_or_default()
        .split('.')
        .map_while(|p| p.parse().ok())
        .collect()
}

/// The key of the version `req` picks, or why there is none.
pub fn select(versions: &[SparkVersion], req: &Request) -> Result<String, String> {
    let mut found: Vec<&SparkVersion> = versions.iter().filter(|v| req.matches(v)).collect();
    match found.len() {
        0 => Err(
            "spark versions query returned no results: no Databricks Runtime version \
                  meets the criteria (ml and genomics, for one, never go together)."
                .to_owned(),
        ),
        1 => Ok(found[0].key.clone()),
        _ if req.latest => {
            found.sort_by_key(|v| std::cmp::Reverse(release(&v.key)));
            Ok(found[0].key.clone())
        }
        n => Err(format!(
            "spark versions query returned {n} results ({}); set latest = true or narrow \
             the criteria.",
            found
                .iter()
                .map(|v| v.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[async_trait]
impl DataSource for SparkVersionData {
    fn type_name(&self) -> &'static str {
        "databricks_spark_version"
    }

    fn schema(&self) -> Schema {
        let flag = |name, d| Attr::optional(name, Ty::Bool, d);
        Schema::new(workspace_scoped(Block::new(
            "A Databricks Runtime version that meets the criteria.",
            vec![
                Attr::optional_computed(
                    "id",
                    Ty::String,
                    "The version key, such as `15.4.x-scala2.12`.",
                ),
                flag(
                    "latest",
                    "Pick the newest of several matches (default `true`); when false, several \
                     matches are an error.",
                ),
                flag(
                    "long_term_support",
                    "Only LTS (long-term support) versions.",
                ),
                flag("ml", "Only (and with it, only) ML runtimes."),
                flag("genomics", "Only Genomics runtimes."),
                flag("gpu", "Only GPU runtimes."),
                flag("beta", "Only Beta runtimes."),
                flag("photon", "Only Photon runtimes."),
                flag("graviton", "Only runtimes built for AWS Graviton."),
                Attr::optional("scala", Ty::String, "Scala version (default `2.12`)."),
                Attr::optional(
                    "spark_version",
                    Ty::String,
                    "Apache Spark version prefix, such as `3`, `3.5` or `3.5.0`.",
                ),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
    }

    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &config, diags)?;
        let url = format!("{}/clusters/spark-versions", api_2_1(&base));
        let list: GetSparkVersionsResponse = match client.get(&url).await {
            Ok(l) => l,
            Err(e) => {
                report(diags, "list the Spark versions", &e);
                return None;
            }
        };
        match select(&list.versions, &Request::of(&config)) {
            Ok(key) => {
                let mut o = config;
                o.set("id", key);
                Some(o)
            }
            Err(why) => {
                diags.error("No matching Spark version", why);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Vec<SparkVersion> {
        [
            (
                "16.4.x-scala2.13",
                "16.4 LTS (includes Apache Spark 3.5.2, Scala 2.13)",
            ),
            (
                "16.4.x-scala2.12",
                "16.4 LTS (includes Apache Spark 3.5.2, Scala 2.12)",
            ),
            (
                "17.0.x-scala2.13",
                "17.0 Beta (includes Apache Spark 4.0.0, Scala 2.13)",
            ),
            (
                "15.4.x-scala2.12",
                "15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)",
            ),
            (
                "15.4.x-photon-scala2.12",
                "15.4 LTS Photon (includes Apache Spark 3.5.0, Scala 2.12)",
            ),
            (
                "15.4.x-cpu-ml-scala2.12",
                "15.4 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)",
            ),
            (
                "15.4.x-gpu-ml-scala2.12",
                "15.4 LTS ML (includes Apache Spark 3.5.0, GPU, Scala 2.12)",
            ),
            (
                "15.2.x-scala2.12",
                "15.2 (includes Apache Spark 3.5.0, Scala 2.12)",
            ),
            (
                "9.1.x-scala2.12",
                "9.1 LTS (includes Apache Spark 3.1.2, Scala 2.12)",
            ),
            (
                "13.3.x-cpu-ml-scala2.12",
                "13.3 LTS ML (includes Apache Spark 3.4.1, Scala 2.12)",
            ),
        ]
        .iter()
        .map(|(k, n)| SparkVersion {
            key: (*k).into(),
            name: (*n).into(),
        })
        .collect()
    }

    fn pick(req: Request) -> Result<String, String> {
        select(&catalogue(), &req)
    }

    #[test]
    fn the_default_is_the_newest_plain_scala_2_12_runtime() {
        assert_eq!(pick(Request::default()).as_deref(), Ok("16.4.x-scala2.12"));
        let mut o = Obj::new();
        o.set("scala", "2.13");
        assert_eq!(pick(Request::of(&o)).as_deref(), Ok("16.4.x-scala2.13"));
    }

    #[test]
    fn flags_select_the_runtime_kind() {
        let ml = Request {
            ml: true,
            ..Request::default()
        };
        assert_eq!(pick(ml).as_deref(), Ok("15.4.x-cpu-ml-scala2.12"));
        let gpu_ml = Request {
            ml: true,
            gpu: true,
            ..Request::default()
        };
        assert_eq!(pick(gpu_ml).as_deref(), Ok("15.4.x-gpu-ml-scala2.12"));
        let photon = Request {
            photon: true,
            ..Request::default()
        };
        assert_eq!(pick(photon).as_deref(), Ok("15.4.x-photon-scala2.12"));
        let beta = Request {
            beta: true,
            scala: "2.13".into(),
            ..Request::default()
        };
        assert_eq!(pick(beta).as_deref(), Ok("17.0.x-scala2.13"));
    }

    #[test]
    fn versions_compare_as_numbers_and_spark_versions_as_prefixes() {
        let spark = |v: &str| Request {
            spark_version: v.into(),
            ..Request::default()
        };
        assert_eq!(pick(spark("3.1")).as_deref(), Ok("9.1.x-scala2.12"));
        assert_eq!(pick(spark("3.5.0")).as_deref(), Ok("15.4.x-scala2.12"));
        assert_eq!(release("16.4.x-scala2.12"), vec![16, 4]);
        assert!(release("9.1.x") < release("15.2.x"));
    }

    #[test]
    fn impossible_or_ambiguous_requests_are_errors() {
        let both = Request {
            ml: true,
            genomics: true,
            ..Request::default()
        };
        assert!(pick(both).unwrap_err().contains("no results"));
        let several = Request {
            latest: false,
            long_term_support: true,
            ..Request::default()
        };
        let e = pick(several).unwrap_err();
        assert!(
            e.contains("3 results") && e.contains("9.1.x-scala2.12"),
            "{e}"
        );
        let one = Request {
            latest: false,
            ml: true,
            spark_version: "3.4".into(),
            ..Request::default()
        };
        assert_eq!(pick(one).as_deref(), Ok("13.3.x-cpu-ml-scala2.12"));
    }
}
