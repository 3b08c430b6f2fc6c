//! progenitor's CLI for the vendored spec (`build.rs` → `OUT_DIR/generated_cli.rs`: `Cli`, `CliCommand`,
//! `CliConfig`), and our `CliConfig`: one `execute_<op>` hook per operation (names from
//! `OUT_DIR/generated_cli_ops.rs`) that runs the call itself; see `exec.rs`.
#![allow(clippy::all, unused_imports, unused_variables, dead_code, missing_docs, unreachable_code)]

// The generated code does `use invent_api::*`, whose `Error` is the crate's (not generic); its
// `CliConfig` means progenitor's `Error<T>`. An explicit import wins over the glob.
use progenitor_client::Error;

include!(concat!(env!("OUT_DIR"), "/generated_cli.rs"));

use super::exec::{fallback, Config};

/// `invent_cli_operations! { <op id> execute_<op id> <Builder>, … }` (one line per operation, written
/// by `build.rs`) expands to `impl CliConfig for Config`.
macro_rules! invent_cli_operations {
    ($($id:ident $execute:ident $builder:ident,)*) => {
        impl CliConfig for Config {
            fn success_item<T>(&self, value: &ResponseValue<T>)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
                fallback::success(self, value.as_ref());
            }

            fn success_no_item(&self, _: &ResponseValue<()>) {
                self.set_exit(super::output::EXIT_OK);
            }

            fn error<T>(&self, value: &Error<T>)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
                fallback::error(self, value);
            }

            fn list_start<T>(&self)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
            }

            fn list_item<T>(&self, value: &T)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
                fallback::list_item(self, value);
            }

            fn list_end_success<T>(&self)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
                self.set_exit(super::output::EXIT_OK);
            }

            fn list_end_error<T>(&self, value: &Error<T>)
            where
                T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
            {
                fallback::error(self, value);
            }

            $(
                fn $execute(
                    &self,
                    matches: &::clap::ArgMatches,
                    request: &mut builder::$builder<'_>,
                ) -> anyhow::Result<()> {
                    use super::exec::{RunBytes as _, RunItem as _, RunList as _, RunOther as _};
                    (&&&&super::exec::Probe(request)).run(self, matches)
                }
            )*
        }

        /// Whether the operation's builder is a [`crate::ListOperation`] (so `--paginate` can work).
        pub(crate) fn is_list(id: &str) -> bool {
            use super::exec::{IsList as _, NotList as _};
            match id {
                $(stringify!($id) => (&&super::exec::TypeProbe::<builder::$builder<'static>>::new()).is_list(),)*
                _ => false,
            }
        }

        /// Operation ids that have a hook (all of them, unless `build.rs` and progenitor disagree).
        pub(crate) const HOOKED: &[&str] = &[$(stringify!($id),)*];
    };
}

include!(concat!(env!("OUT_DIR"), "/generated_cli_ops.rs"));
