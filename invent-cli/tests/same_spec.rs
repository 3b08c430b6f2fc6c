//! The CLI generates its parsers from its own copy of the spec (build.rs); it must be the one the
//! invent-api it links was generated from, or a subcommand could send what the client does not know.

#[test]
fn the_cli_is_generated_from_invent_apis_spec() {
    assert_eq!(env!("INVENT_CLI_SPEC_SHA256"), invent_api::SPEC_SHA256);
}
