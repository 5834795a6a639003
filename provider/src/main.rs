//! `terraform-provider-appmap` binary: Terraform starts it; it serves
//! tfplugin6 over gRPC after the go-plugin handshake.

fn main() -> std::process::ExitCode {
    terraform_provider_appmap::server::run_main(terraform_provider_appmap::resources::registry())
}
