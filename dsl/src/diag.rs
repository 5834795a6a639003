//! Diagnostics: every problem with where it is and what to do about it.
//!
//! A diagnostic never stops the caller by itself; loaders and validators
//! collect all of them and decide at the end whether the input was usable.

use std::fmt;
use std::sync::Arc;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The input is usable; somebody should still look.
    Warning,
    /// The input cannot be used as it is.
    Error,
}

/// One step of a Terraform-style attribute path (`load_balancer.listeners["https"]`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    /// An attribute name.
    Attr(String),
    /// A string key into a map.
    Key(String),
    /// An index into a list.
    Index(i64),
}

/// Where something was declared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Location {
    /// Nowhere in particular (built in, or synthesised).
    #[default]
    Unknown,
    /// A position in a file: a map file, or the Rust call site of the builder.
    /// Line and column are 1-based.
    File {
        /// The file as the user named it.
        file: Arc<str>,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
    },
    /// An attribute path inside a Terraform resource or provider block.
    Attribute(Vec<PathStep>),
}

impl Location {
    /// A file position (1-based line and column).
    pub fn file(file: impl Into<Arc<str>>, line: u32, column: u32) -> Self {
        Location::File { file: file.into(), line, column }
    }

    /// A Terraform attribute path made of attribute names only.
    pub fn attr(names: &[&str]) -> Self {
        Location::Attribute(names.iter().map(|n| PathStep::Attr((*n).to_string())).collect())
    }

    /// This location with one more step when it is an attribute path; unchanged otherwise.
    #[must_use]
    pub fn join(&self, step: PathStep) -> Self {
        match self {
            Location::Attribute(steps) => {
                let mut steps = steps.clone();
                steps.push(step);
                Location::Attribute(steps)
            }
            other => other.clone(),
        }
    }

    /// True when nothing is known about the place.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Location::Unknown)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Unknown => f.write_str("<unknown>"),
            Location::File { file, line, column } => write!(f, "{file}:{line}:{column}"),
            Location::Attribute(steps) => {
                for (i, step) in steps.iter().enumerate() {
                    match step {
                        PathStep::Attr(a) if i == 0 => f.write_str(a)?,
                        PathStep::Attr(a) => write!(f, ".{a}")?,
                        PathStep::Key(k) => write!(f, "[{k:?}]")?,
                        PathStep::Index(n) => write!(f, "[{n}]")?,
                    }
                }
                Ok(())
            }
        }
    }
}

/// One problem found in the input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it, when we can guess.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Diagnostic { location, severity: Severity::Error, message: message.into(), help: None }
    }

    /// A warning at `location`.
    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Diagnostic { location, severity: Severity::Warning, message: message.into(), help: None }
    }

    /// Adds a suggested fix.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic, with the offending source line and a caret
    /// under the column when `source` (the text of the located file) is given.
    pub fn render(&self, source: Option<&str>) -> String {
        let mut out = format!("{self}");
        if let (Some(src), Location::File { line, column, .. }) = (source, &self.location) {
            if let Some(text) = src.lines().nth((*line as usize).saturating_sub(1)) {
                let gutter = line.to_string();
                let pad = " ".repeat(gutter.len());
                let caret_at: usize = text
                    .chars()
                    .take((*column as usize).saturating_sub(1))
                    .map(|c| if c == '\t' { 4 } else { 1 })
                    .sum();
                out.push_str(&format!(
                    "\n{pad} |\n{gutter} | {}\n{pad} | {}^",
                    text.replace('\t', "    "),
                    " ".repeat(caret_at)
                ));
            }
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("\n  help: {help}"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.location.is_unknown() {
            write!(f, "{sev}: {}", self.message)
        } else {
            write!(f, "{}: {sev}: {}", self.location, self.message)
        }
    }
}

/// Everything that was wrong with an input; returned when it had at least one error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Renders all diagnostics, one block each, using `source` for carets.
    pub fn render(&self, source: Option<&str>) -> String {
        self.0.iter().map(|d| d.render(source)).collect::<Vec<_>>().join("\n")
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        write!(f, "{n} error{}", if n == 1 { "" } else { "s" })?;
        for d in &self.0 {
            write!(f, "\n{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The closest candidate to `wanted`, when one is close enough to be a likely typo.
pub fn did_you_mean<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(wanted, c), c))
        .filter(|(d, c)| *d <= 2.max(wanted.len().min(c.len()) / 4) && *d < wanted.len().max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_points_at_column() {
        let d = Diagnostic::error(Location::file("m.yaml", 2, 5), "bad").with_help("fix it");
        let r = d.render(Some("a: 1\nb:  x\n"));
        assert_eq!(r, "m.yaml:2:5: error: bad\n  |\n2 | b:  x\n  |     ^\n  help: fix it");
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        assert_eq!(did_you_mean("cart-apl", ["cart-api", "ledger-db"]), Some("cart-api"));
        assert_eq!(did_you_mean("zzz", ["cart-api", "ledger-db"]), None);
    }

    #[test]
    fn attribute_paths_display_like_terraform() {
        let l = Location::attr(&["load_balancer"])
            .join(PathStep::Attr("listeners".into()))
            .join(PathStep::Key("https".into()));
        assert_eq!(l.to_string(), "load_balancer.listeners[\"https\"]");
    }
}
