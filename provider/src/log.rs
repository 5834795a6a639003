//! Minimal stderr logging in the form go-plugin understands: one line per
//! message, prefixed `[LEVEL]`, so Terraform re-logs it at that level under
//! `TF_LOG` / `TF_LOG_PROVIDER`. Stdout is reserved for the handshake line.

use std::io::Write;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
    fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TRACE" | "JSON" => Some(Level::Trace),
            "DEBUG" => Some(Level::Debug),
            "INFO" => Some(Level::Info),
            "WARN" => Some(Level::Warn),
            "ERROR" | "OFF" => Some(Level::Error),
            _ => None,
        }
    }
}

/// Minimum level: `APPMAP_PROVIDER_LOG`, else `TF_LOG_PROVIDER`, else
/// `TF_LOG`, else INFO.
pub fn max_level() -> Level {
    static L: OnceLock<Level> = OnceLock::new();
    *L.get_or_init(|| {
        ["APPMAP_PROVIDER_LOG", "TF_LOG_PROVIDER", "TF_LOG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().and_then(|v| Level::parse(&v)))
            .unwrap_or(Level::Info)
    })
}

pub fn enabled(level: Level) -> bool {
    level >= max_level()
}

/// Writes one log line to stderr (newlines in the message are flattened so
/// each message stays one line).
pub fn log(level: Level, msg: std::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let text = msg.to_string().replace('\n', " | ");
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "[{}] terraform-provider-appmap: {}", level.as_str(), text);
}

#[macro_export]
macro_rules! log_debug { ($($t:tt)*) => { $crate::log::log($crate::log::Level::Debug, format_args!($($t)*)) } }
#[macro_export]
macro_rules! log_info { ($($t:tt)*) => { $crate::log::log($crate::log::Level::Info, format_args!($($t)*)) } }
#[macro_export]
macro_rules! log_warn { ($($t:tt)*) => { $crate::log::log($crate::log::Level::Warn, format_args!($($t)*)) } }
#[macro_export]
macro_rules! log_error { ($($t:tt)*) => { $crate::log::log($crate::log::Level::Error, format_args!($($t)*)) } }

/// Text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Replaces the default panic hook: one log line with message and location,
/// never a backtrace (RUST_BACKTRACE is ignored on purpose — panics inside
/// request handlers are caught and turned into diagnostics).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = panic_message(info.payload());
        match info.location() {
            Some(l) => log(Level::Error, format_args!("panic at {}:{}: {}", l.file(), l.line(), msg)),
            None => log(Level::Error, format_args!("panic: {msg}")),
        }
    }));
}
