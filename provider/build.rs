//! Compiles ../proto/*.proto with the pure-Rust `protox` compiler (no system
//! `protoc` needed) and generates prost messages + tonic server/client code.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
    let files = ["tfplugin6.proto", "grpc_controller.proto", "grpc_stdio.proto"];
    for f in &files {
        println!("cargo:rerun-if-changed={}", proto_dir.join(f).display());
    }
    let fds = protox::compile(files, [&proto_dir])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .build_transport(true)
        // RPCs we don't implement answer UNIMPLEMENTED.
        .generate_default_stubs(true)
        .compile_fds(fds)?;
    Ok(())
}
