//! `appmap`: glue between the command line and the `appmap` library.
//! Parsing arguments and printing are here; every decision is in the library.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod graph;
mod output;
mod paths;
mod verify;

/// Network microsegmentation that follows a declared application map.
#[derive(Debug, Parser)]
#[command(name = "appmap", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a map file; exit 0 when valid, 1 when not, 2 when it cannot be read.
    Validate {
        /// The map file (YAML, flat or full form).
        map: PathBuf,
    },
    /// Derive the security group rules a map implies.
    Derive {
        /// The map file (YAML, flat or full form).
        map: PathBuf,
        /// Output format; JSON when stdout is not a terminal.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Write to this file (atomically) instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Compound paths: who reaches whom, through which choke points, and which `never_reaches` boundaries are crossed.
    Paths(paths::PathsArgs),
    /// The whole graph of allowed flows of a map or a snapshot (text, JSON, Graphviz dot).
    Graph(graph::GraphArgs),
    /// Verify a deployed snapshot against the rules the map derives; exit 0 when
    /// nothing is at or above --fail-on, 1 when something is, 2 on bad input.
    Verify(verify::VerifyArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Exit code for bad input or usage, as SPEC.md fixes it.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Validate { map } => {
            let Some(vm) = load(&map)? else { return Ok(1) };
            print_warnings(&map, vm.warnings());
            let n = vm.services().count();
            eprintln!(
                "{}: valid ({} services, {} relations, {} boundaries)",
                map.display(),
                n,
                vm.relations().len(),
                vm.boundaries().len()
            );
            Ok(0)
        }
        Command::Verify(args) => verify::run(args),
        Command::Derive { map, format, output } => {
            let Some(vm) = load(&map)? else { return Ok(1) };
            print_warnings(&map, vm.warnings());
            let d = vm.derive();
            let format = format.unwrap_or(if output.is_none() && std::io::stdout().is_terminal() {
                Format::Text
            } else {
                Format::Json
            });
            let text = match format {
                Format::Json => d.to_json(),
                Format::Text => d.to_text(),
            };
            output::emit(output.as_deref(), &text)?;
            Ok(0)
        }
        Command::Paths(args) => paths::run(args),
        Command::Graph(args) => graph::run(args),
    }
}

/// Loads a map; `Ok(None)` after printing its errors when it is invalid,
/// `Err` when the file cannot be read at all.
fn load(path: &Path) -> anyhow::Result<Option<appmap::ValidMap>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read map file {}: {e}", path.display()))?;
    match appmap::load_str(&path.display().to_string(), &text) {
        Ok(vm) => Ok(Some(vm)),
        Err(diags) => {
            eprintln!("{}", diags.render(Some(&text)));
            let n = diags.errors().count();
            eprintln!("{}: invalid: {n} error{}", path.display(), if n == 1 { "" } else { "s" });
            Ok(None)
        }
    }
}

fn print_warnings(path: &Path, warnings: &[appmap::Diagnostic]) {
    let text = std::fs::read_to_string(path).ok();
    for w in warnings {
        eprintln!("{}", w.render(text.as_deref()));
    }
}
