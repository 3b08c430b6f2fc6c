//! `invent api METHOD PATH [--body FILE|-] [--query K=V]… [--header 'Name: value']…`: any endpoint,
//! documented or not, through [`invent_api::Client::raw`] (same key, org, retries, limiter as the generated
//! subcommands). `/orgs/c/…` paths follow `--org`.

use clap::{Arg, ArgAction, ArgMatches, Command};
use reqwest::Method;
use serde_json::Value;

use crate::output::{Failure, Format, Out};
use invent_api::Client;

pub(crate) const NAME: &str = "api";

pub(crate) fn command() -> Command {
    Command::new(NAME)
        .about("Call any endpoint as is: invent api GET /orgs/c/whatever")
        .long_about(
            "Call any endpoint, documented or not, with the same key, org, retries and rate limit as the \
             generated subcommands. A path that starts with /orgs/c/ follows --org. A JSON response is printed \
             like other commands (--output); any other body is written to stdout as is.",
        )
        .arg(
            Arg::new("method")
                .value_name("METHOD")
                .required(true)
                .value_parser(parse_method)
                .help("HTTP method: GET, POST, PUT, PATCH, DELETE, …"),
        )
        .arg(
            Arg::new("path")
                .value_name("PATH")
                .required(true)
                .help("Path relative to the base URL, e.g. /orgs/c/assistants"),
        )
        .arg(
            Arg::new("body")
                .long("body")
                .value_name("FILE|-")
                .value_parser(clap::value_parser!(std::ffi::OsString))
                .help("JSON request body from a file, or - for stdin"),
        )
        .arg(
            Arg::new("query")
                .long("query")
                .short('q')
                .value_name("KEY=VALUE")
                .action(ArgAction::Append)
                .value_parser(parse_pair)
                .help("Query parameter (repeatable)"),
        )
        .arg(
            Arg::new("header")
                .long("header")
                .short('H')
                .value_name("NAME: VALUE")
                .action(ArgAction::Append)
                .value_parser(parse_header)
                .help("Extra request header (repeatable)"),
        )
        .arg(
            Arg::new(super::JSONL)
                .long(super::JSONL)
                .action(ArgAction::SetTrue)
                .help("Print a JSON array response as one compact JSON value per line"),
        )
}

fn parse_method(value: &str) -> Result<Method, String> {
    Method::from_bytes(value.to_ascii_uppercase().as_bytes()).map_err(|_| format!("`{value}` is not an HTTP method"))
}

fn parse_pair(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((key, val)) if !key.is_empty() => Ok((key.to_string(), val.to_string())),
        _ => Err(format!("expected KEY=VALUE, got `{value}`")),
    }
}

fn parse_header(value: &str) -> Result<(String, String), String> {
    match value.split_once(':') {
        Some((name, val)) if !name.trim().is_empty() => Ok((name.trim().to_string(), val.trim().to_string())),
        _ => Err(format!("expected `Name: value`, got `{value}`")),
    }
}

pub(crate) async fn run(client: &Client, matches: &ArgMatches, format: Format) -> Result<(), Failure> {
    let (Some(method), Some(path)) = (matches.get_one::<Method>("method"), matches.get_one::<String>("path")) else {
        return Err(Failure::Usage("`invent api` needs METHOD and PATH".into()));
    };
    let label = format!("{method} {path}");
    let mut request = client.raw(method.clone(), path.as_str());
    for (key, value) in matches.get_many::<(String, String)>("query").into_iter().flatten() {
        request = request.query(key.as_str(), value);
    }
    for (name, value) in matches.get_many::<(String, String)>("header").into_iter().flatten() {
        request = request.header(name, value);
    }
    if let Some(source) = matches.get_one::<std::ffi::OsString>("body") {
        let body = super::read_json_body(source)?;
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|error| Failure::Call { error, label })?;
    let body = response.into_inner();
    let mut out = Out::new();
    if body.is_empty() {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(value) => {
            let format = if super::flag(matches, super::JSONL) { Format::JsonLines } else { format };
            out.value(&value, format)?;
        }
        Err(_) => {
            out.bytes(&body)?;
            out.flush()?;
        }
    }
    Ok(())
}
