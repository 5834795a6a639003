//! `appmap graph`: the whole graph of allowed flows, declared or deployed.
//! Reads files and prints; the graph comes from `appmap::paths`.

use std::path::PathBuf;

use anyhow::bail;
use clap::ValueEnum;

/// Arguments of `appmap graph`.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// A map file (nodes are services), or a snapshot — `terraform show -json`
    /// or describe-security-groups JSON (nodes are security groups).
    input: PathBuf,
    /// With a snapshot: the map that labels groups with services and zones
    /// and marks which flows are declared.
    #[arg(long, value_name = "MAP")]
    map: Option<PathBuf>,
    /// Output format; text when stdout is a terminal, JSON otherwise.
    #[arg(long, value_enum)]
    format: Option<GraphFormat>,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Text,
    Json,
    Dot,
}

/// Runs `appmap graph`.
pub fn run(args: GraphArgs) -> anyhow::Result<u8> {
    use std::io::IsTerminal as _;
    let format = args.format.unwrap_or(if args.output.is_none() && std::io::stdout().is_terminal() {
        GraphFormat::Text
    } else {
        GraphFormat::Json
    });
    if args.map.is_some() && matches!(args.input.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
        bail!("--map labels a snapshot; {} is already a map", args.input.display());
    }
    let map = args.map.as_deref().map(crate::paths::load_map).transpose()?;
    let (graph, _) = crate::paths::load_graph(&args.input, map.as_ref())?;
    let text = match format {
        GraphFormat::Text => graph.to_text(),
        GraphFormat::Json => graph.to_json(),
        GraphFormat::Dot => graph.to_dot(),
    };
    crate::output::emit(args.output.as_deref(), &text)?;
    Ok(0)
}
