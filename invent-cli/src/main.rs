//! `invent`: the Invent REST API from the command line. One subcommand per API operation (argument
//! parsing generated from the same spec as invent-api), plus `invent api METHOD PATH` for anything
//! else. All logic lives in the `invent_cli` library; see this crate's README.

fn main() -> std::process::ExitCode {
    invent_cli::main()
}
