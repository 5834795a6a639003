//! `appmap paths`: compound paths over a declared map or a deployed snapshot.
//! Reads files and prints; every answer comes from `appmap::paths`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use appmap::ValidMap;
use appmap::paths::{self, Graph, NodeSelector, Query};
use clap::ValueEnum;

/// Arguments of `appmap paths`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("source").args(["snapshot", "map", "diff"]).multiple(true).required(true))]
pub struct PathsArgs {
    /// A deployed snapshot: `terraform show -json` of a state or plan, or
    /// `aws ec2 describe-security-groups` JSON. Nodes are security groups.
    #[arg(long, value_name = "FILE", conflicts_with = "diff")]
    snapshot: Option<PathBuf>,
    /// The map file. Alone: the declared graph of services. With a snapshot:
    /// labels groups with services and zones, marks declared hops, and
    /// supplies the `never_reaches` boundaries.
    #[arg(long, value_name = "MAP")]
    map: Option<PathBuf>,
    /// Sources: a service, `zone:NAME`, a group id, `internet` or a CIDR (repeatable).
    #[arg(long, value_name = "SEL", requires = "to")]
    from: Vec<String>,
    /// Targets, as for --from (repeatable).
    #[arg(long, value_name = "SEL", requires = "from")]
    to: Vec<String>,
    /// Report only pairs within this many hops (choke points and boundaries consider any length).
    #[arg(long, value_name = "N")]
    max_hops: Option<u32>,
    /// Output format; text when stdout is a terminal, JSON otherwise.
    #[arg(long, value_enum)]
    format: Option<PathsFormat>,
    /// Pairs opened and closed between two snapshots or maps (a `.yaml`/`.yml`
    /// file is a map), or, given one `terraform show -json PLANFILE`, between
    /// its prior state and its planned values.
    #[arg(long, num_args = 1..=2, value_names = ["BEFORE", "AFTER"])]
    diff: Option<Vec<PathBuf>>,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PathsFormat {
    Text,
    Json,
    Dot,
}

/// Runs `appmap paths`; exit 1 when a `never_reaches` boundary is crossed.
pub fn run(args: PathsArgs) -> anyhow::Result<u8> {
    use std::io::IsTerminal as _;
    let format = args.format.unwrap_or(if args.output.is_none() && std::io::stdout().is_terminal() {
        PathsFormat::Text
    } else {
        PathsFormat::Json
    });
    let map = args.map.as_deref().map(load_map).transpose()?;
    let parse = |sels: &[String]| -> anyhow::Result<Vec<NodeSelector>> {
        sels.iter().map(|s| s.parse::<NodeSelector>().map_err(anyhow::Error::from)).collect()
    };
    let (from, to) = (parse(&args.from)?, parse(&args.to)?);

    if let Some(files) = &args.diff {
        let ((gb, mb), (ga, ma)) = match files.as_slice() {
            [before, after] => (load_graph(before, map.as_ref())?, load_graph(after, map.as_ref())?),
            [plan] => plan_before_after(plan, map.as_ref())?,
            _ => bail!("--diff takes BEFORE AFTER (two snapshots or maps), or one saved plan's JSON"),
        };
        let d = paths::diff(&gb, &ga, &from, &to)?;
        let violations = ma.or(mb).map(|vm| paths::never_reaches(&ga, &vm)).unwrap_or_default();
        let text = match format {
            PathsFormat::Json => d.to_json(),
            PathsFormat::Text => d.to_text(),
            PathsFormat::Dot => bail!("--format dot draws witness paths of a query; use text or json with --diff"),
        };
        crate::output::emit(args.output.as_deref(), &text)?;
        for v in &violations {
            eprintln!("after the change: {v}");
        }
        return Ok(u8::from(!violations.is_empty()));
    }

    let (graph, vm) = match (&args.snapshot, map) {
        (Some(snap), map) => load_graph(snap, map.as_ref())?,
        (None, Some(vm)) => (Graph::from_map(&vm), Some(vm)),
        (None, None) => bail!("give --map MAP, --snapshot FILE [--map MAP], or --diff BEFORE AFTER"),
    };
    let query = Query { from, to, max_hops: args.max_hops };
    let report = paths::report(&graph, &query, vm.as_ref())?;
    let text = match format {
        PathsFormat::Json => report.to_json(),
        PathsFormat::Text => report.to_text(),
        PathsFormat::Dot => report.to_dot(),
    };
    crate::output::emit(args.output.as_deref(), &text)?;
    Ok(u8::from(!report.violations.is_empty()))
}

/// The graphs before and after a saved plan: its prior state and its planned
/// values. Without `--map`, the map the plan declares labels both.
#[allow(clippy::type_complexity)]
fn plan_before_after(
    plan: &Path,
    map: Option<&ValidMap>,
) -> anyhow::Result<((Graph, Option<ValidMap>), (Graph, Option<ValidMap>))> {
    let text = std::fs::read_to_string(plan).with_context(|| format!("cannot read plan {}", plan.display()))?;
    let name = plan.display().to_string();
    let before = appmap::snapshot::parse_plan_prior(&name, &text)?;
    let after = appmap::parse_snapshot(&name, &text)?;
    let vm = match (map, &after.map) {
        (Some(vm), _) => Some(vm.clone()),
        (None, Some(m)) => Some(
            ValidMap::new_without_paths(m.clone())
                .map_err(|d| anyhow::anyhow!("{d}\n{name}: the map its appmap resources declare is invalid"))?,
        ),
        (None, None) => None,
    };
    let gb = Graph::from_snapshot(&before, vm.as_ref());
    let ga = Graph::from_snapshot(&after, vm.as_ref());
    Ok(((gb, vm.clone()), (ga, vm)))
}

/// A map for paths: every check but the boundary paths, which are the answer here.
pub(crate) fn load_map(path: &Path) -> anyhow::Result<ValidMap> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read map file {}", path.display()))?;
    let (map, diags) = appmap::parse_str(&path.display().to_string(), &text);
    let invalid =
        |d: appmap::Diagnostics| anyhow::anyhow!("{}\n{}: invalid map", d.render(Some(&text)), path.display());
    if diags.iter().any(appmap::Diagnostic::is_error) {
        return Err(invalid(appmap::Diagnostics(diags)));
    }
    ValidMap::new_without_paths(map).map_err(invalid)
}

fn is_map_file(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// The graph of a map file or a snapshot; a Terraform snapshot that declares
/// `appmap_*` resources brings its own map when `--map` is not given.
pub(crate) fn load_graph(path: &Path, map: Option<&ValidMap>) -> anyhow::Result<(Graph, Option<ValidMap>)> {
    if is_map_file(path) {
        let vm = load_map(path)?;
        return Ok((Graph::from_map(&vm), Some(vm)));
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read snapshot {}", path.display()))?;
    let snap = appmap::parse_snapshot(&path.display().to_string(), &text)?;
    let vm = match (map, &snap.map) {
        (Some(vm), _) => Some(vm.clone()),
        (None, Some(m)) => Some(ValidMap::new_without_paths(m.clone()).map_err(|d| {
            anyhow::anyhow!("{d}\n{}: the map its appmap resources declare is invalid", path.display())
        })?),
        (None, None) => None,
    };
    Ok((Graph::from_snapshot(&snap, vm.as_ref()), vm))
}
