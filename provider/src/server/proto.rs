//! Generated protobuf/gRPC code. Private to the server module: nothing in
//! here may appear in a public signature outside `crate::server`.
#![allow(missing_debug_implementations, dead_code, clippy::all, clippy::unwrap_used, unreachable_pub)]

pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

pub mod plugin {
    tonic::include_proto!("plugin");
}
