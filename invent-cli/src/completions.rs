//! `invent completions SHELL`: a completion script for bash, zsh, fish, elvish or PowerShell, made by
//! clap_complete from the same command tree the tool parses with.

use clap::{Arg, ArgMatches, Command};
use clap_complete::Shell;

use crate::output::{Failure, Out};

pub(crate) const NAME: &str = "completions";

pub(crate) fn command() -> Command {
    Command::new(NAME)
        .about("Print a shell completion script: invent completions bash|zsh|fish|elvish|powershell")
        .long_about(
            "Print a shell completion script to stdout. For example:\n  \
             bash: invent completions bash > ~/.local/share/bash-completion/completions/invent\n  \
             zsh:  invent completions zsh > \"${fpath[1]}/_invent\"\n  \
             fish: invent completions fish > ~/.config/fish/completions/invent.fish",
        )
        .arg(
            Arg::new("shell")
                .value_name("SHELL")
                .required(true)
                .value_parser(clap::value_parser!(Shell))
                .help("bash, zsh, fish, elvish or powershell"),
        )
}

/// Writes the script for the chosen shell.
pub(crate) fn run(matches: &ArgMatches, root: &mut Command) -> Result<(), Failure> {
    let Some(shell) = matches.get_one::<Shell>("shell").copied() else {
        return Err(Failure::Usage("completions: name a shell (bash, zsh, fish, elvish, powershell)".into()));
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, root, "invent", &mut script);
    let mut out = Out::new();
    out.bytes(&script)?;
    out.flush()?;
    Ok(())
}
