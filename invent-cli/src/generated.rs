//! progenitor's CLI for the spec invent-api was generated from (`build.rs` → `OUT_DIR/generated_cli.rs`:
//! `Cli`, `CliCommand`, `CliConfig`), and our `CliConfig`: one `execute_<op>` hook per operation (names
//! from `OUT_DIR/generated_cli_ops.rs`) that runs the call itself; see `exec.rs`.
#![allow(clippy::all, unused_imports, unused_variables, dead_code, missing_docs, unreachable_code, rustdoc::all)]

include!(concat!(env!("OUT_DIR"), "/generated_cli.rs"));

use crate::exec::Config;

/// `invent_cli_operations! { <op id> execute_<op id> <Builder>, … }` (one line per operation, written
/// by `build.rs`) expands to `impl CliConfig for Config`.
macro_rules! invent_cli_operations {
    ($($id:ident $execute:ident $builder:ident,)*) => {
        impl CliConfig for Config {
            $(
                fn $execute(
                    &self,
                    matches: &::clap::ArgMatches,
                    request: &mut builder::$builder<'_>,
                ) -> anyhow::Result<()> {
                    use crate::exec::{RunBytes as _, RunItem as _, RunList as _, RunOther as _, RunWatch as _};
                    (&&&&crate::exec::Probe(request)).run(self, matches)
                }
            )*
        }

        /// Whether the operation's builder is a [`invent_api::ListOperation`] (so `--paginate` can work).
        pub(crate) fn is_list(id: &str) -> bool {
            use crate::exec::{IsList as _, NotList as _};
            match id {
                $(stringify!($id) => (&&crate::exec::TypeProbe::<builder::$builder<'static>>::new()).is_list(),)*
                _ => false,
            }
        }

        /// Operation ids that have a hook (all of them, unless `build.rs` and progenitor disagree).
        pub(crate) const HOOKED: &[&str] = &[$(stringify!($id),)*];
    };
}

include!(concat!(env!("OUT_DIR"), "/generated_cli_ops.rs"));
