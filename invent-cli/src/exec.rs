//! How a generated subcommand runs. progenitor's `execute_<op>` turns the arguments into the
//! operation's builder, then calls the `CliConfig::execute_<op>` hook, then sends. Our hook (one per
//! operation, see `generated.rs`) takes the finished builder, sends it through the crate's own path
//! (`OperationExt::call`: auth, org, retries, limiter, errors that keep the server's body), prints the
//! result, and returns [`Handled`] so progenitor's own send and output code never runs. That code is
//! where progenitor's CLI has `todo!()` for non-JSON bodies; it is unreachable.
//!
//! Which runner a builder gets is picked at compile time per concrete builder type ("autoref
//! specialization"): list operations (can `--paginate`), operations with a JSON (serializable) result,
//! operations with a byte-stream result, and anything else (reported as unsupported, exit 2).

use std::future::Future;
use std::sync::{Arc, Mutex};

use clap::ArgMatches;
use serde::Serialize;
use serde_json::Value;

use crate::output::{self, Failure, Format, Out, EXIT_OK};
use crate::recorder::{Recorded, Recorder};
use crate::terminal::JsonForTerminal;
use futures::TryStreamExt;

use invent_api::events::{write_json_lines, EventsConfig, Feed, WatchError};
use invent_api::{ByteStream, Operation, PageInfo};
use invent_api::{ListOperation, Paginate, MAX_TAKE};

/// The most pages one `--paginate` reads (the library's own limit).
const MAX_PAGES: u64 = 10_000;

/// Answers printed as received: the builders are recorded (see `recorder.rs`) and resent through
/// `client.raw`. `None` in [`Config`] is `--typed`.
pub(crate) struct RawMode {
    pub(crate) recorder: Recorder,
    pub(crate) client: invent_api::Client,
}

/// Error returned from a hook once the command has run and printed its result; the exit status is in
/// the [`Config`]'s slot.
#[derive(Debug)]
pub(crate) struct Handled;

impl std::fmt::Display for Handled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("command handled by the invent CLI layer")
    }
}

impl std::error::Error for Handled {}

/// The exit status a command settled on (shared with `lib.rs`, which cannot reach into `Cli`).
pub(crate) type ExitSlot = Arc<Mutex<Option<u8>>>;

/// The generated CLI's `CliConfig`: output format, the runtime to drive calls on, the exit status,
/// and the client (event streams are opened from it, not from a builder).
pub(crate) struct Config {
    runtime: tokio::runtime::Handle,
    pub(crate) format: Format,
    exit: ExitSlot,
    client: invent_api::Client,
    /// `--max-reconnects` of `watch` streams (`None`: reconnect for as long as it takes).
    max_reconnects: Option<u32>,
    /// Without `--typed`.
    raw: Option<RawMode>,
}

impl Config {
    pub(crate) fn new(
        runtime: tokio::runtime::Handle,
        format: Format,
        exit: ExitSlot,
        client: invent_api::Client,
        max_reconnects: Option<u32>,
        raw: Option<RawMode>,
    ) -> Self {
        Config { runtime, format, exit, client, max_reconnects, raw }
    }

    /// Records the exit status and stops progenitor's `execute_<op>` before it sends.
    pub(crate) fn finish(&self, result: Result<(), Failure>) -> anyhow::Result<()> {
        self.set_exit(output::exit_status(result));
        Err(anyhow::Error::new(Handled))
    }

    pub(crate) fn set_exit(&self, code: u8) {
        let mut slot = self.exit.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none() || code != EXIT_OK {
            *slot = Some(code);
        }
    }

    /// Runs `future` to completion from inside a (synchronous) `CliConfig` hook. The CLI runs on a
    /// multi-thread runtime (`lib.rs`), where `block_in_place` is allowed.
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        tokio::task::block_in_place(|| self.runtime.block_on(future))
    }

    /// The request `request` would send, as the recorder saw it. A request the builder refuses to
    /// build (a missing argument) fails here like a typed call.
    fn record<B: Operation>(&self, raw: &RawMode, request: B) -> Result<Recorded, Failure> {
        if let Err(error @ invent_api::Error::InvalidRequest(_)) = self.block_on(request.send()) {
            return Err(call_failure::<B>(error));
        }
        match raw.recorder.take() {
            Some(Ok(recorded)) => Ok(recorded),
            Some(Err(why)) => Err(Failure::Usage(format!("{}: {why}; --typed sends it as built", label::<B>()))),
            None => Err(Failure::Usage(format!("{}: the request could not be recorded; try --typed", label::<B>()))),
        }
    }

    /// Sends a recorded request through the real client, with `paging` replacing `page`/`take`.
    async fn resend(
        raw: &RawMode,
        recorded: &Recorded,
        paging: Option<(u64, u64)>,
    ) -> Result<invent_api::ResponseValue<bytes::Bytes>, invent_api::Error> {
        let mut call = raw.client.raw(recorded.method.clone(), recorded.path.clone());
        for (key, value) in &recorded.query {
            if paging.is_none() || (key != "page" && key != "take") {
                call = call.query(key.clone(), value);
            }
        }
        if let Some((page, take)) = paging {
            call = call.query("page", page).query("take", take);
        }
        for (name, value) in &recorded.headers {
            call = call.header(name, value);
        }
        if let Some(body) = &recorded.body {
            call = call.json(body);
        }
        call.send().await
    }

    /// One call; prints the result.
    fn single<B>(&self, request: B) -> Result<(), Failure>
    where
        B: Operation,
        B::Output: Serialize,
    {
        if let Some(raw) = &self.raw {
            let recorded = self.record(raw, request)?;
            let result = self.block_on(Self::resend(raw, &recorded, None));
            drift_check::<B>(&raw.client, &result);
            let response = result.map_err(call_failure::<B>)?;
            Out::new().body(&response.into_inner(), self.format)?;
            return Ok(());
        }
        let response = self.block_on(request.send()).map_err(|error| call_failure::<B>(error))?;
        let value = to_json::<B, _>(&response.into_inner())?;
        Out::new().value(&value, self.format)?;
        Ok(())
    }

    /// Every page from `first` on, `take` items a page: a JSON array (collected, so a failure midway
    /// prints no partial array), a table, or JSON lines streamed page by page.
    fn paginate<B>(&self, request: B, first: u32, take: u32) -> Result<(), Failure>
    where
        B: ListOperation,
        <B as ListOperation>::Item: Serialize,
    {
        if let Some(raw) = &self.raw {
            let recorded = self.record(raw, request)?;
            return self.paginate_raw::<B>(raw, &recorded, u64::from(first), u64::from(take));
        }
        let mut out = Out::new();
        let mut collected = Vec::new();
        let format = self.format;
        self.block_on(async {
            let mut pages = std::pin::pin!(request.pages_from(first, take));
            while let Some(page) = pages.try_next().await.map_err(call_failure::<B>)? {
                for item in &page.items {
                    let value = to_json::<B, _>(item)?;
                    if format == Format::JsonLines {
                        out.line(&value)?;
                    } else {
                        collected.push(value);
                    }
                }
                out.flush()?;
            }
            Ok::<(), Failure>(())
        })?;
        if format != Format::JsonLines {
            out.value(&Value::Array(collected), format)?;
        }
        Ok(())
    }

    /// [`Self::paginate`] without `--typed`: pages of the recorded request, items as received.
    fn paginate_raw<B: Operation>(
        &self,
        raw: &RawMode,
        recorded: &Recorded,
        first: u64,
        take: u64,
    ) -> Result<(), Failure> {
        let mut out = Out::new();
        let mut collected = Vec::new();
        let format = self.format;
        self.block_on(async {
            // At most MAX_PAGES pages from `first` on (saturating: `--page` may be huge).
            for page in (first..=first.saturating_add(MAX_PAGES - 1)).take(MAX_PAGES as usize) {
                let result = Self::resend(raw, recorded, Some((page, take))).await;
                drift_check::<B>(&raw.client, &result);
                let response = result.map_err(call_failure::<B>)?;
                let info = PageInfo::of(&response);
                let items: Vec<Value> = serde_json::from_slice(&response.into_inner())
                    .map_err(|e| Failure::Decode(format!("{}: page {page} is not a JSON array: {e}", label::<B>())))?;
                let served = items.len() as u64;
                for item in items {
                    if format == Format::JsonLines {
                        out.line(&item)?;
                    } else {
                        collected.push(item);
                    }
                }
                out.flush()?;
                let last =
                    served == 0 || served < take || info.count.is_some_and(|count| page.saturating_mul(take) >= count);
                if last {
                    break;
                }
            }
            Ok::<(), Failure>(())
        })?;
        if format != Format::JsonLines {
            out.value(&Value::Array(collected), format)?;
        }
        Ok(())
    }

    /// A WebSocket route: its events, one JSON line each, until the stream ends (reconnecting at most
    /// `--max-reconnects` times in a row) or the reader goes away.
    fn watch<B: Operation>(&self) -> Result<(), Failure> {
        let Some(feed) = Feed::of(B::SPEC) else {
            return Err(Failure::Usage(format!("{}: no event stream is known for this route", label::<B>())));
        };
        let config = EventsConfig::default().max_reconnects(self.max_reconnects);
        let events =
            self.client.events_with(feed, config).map_err(|e| Failure::Usage(format!("{}: {e}", label::<B>())))?;
        let stdout = std::io::stdout();
        let written = if std::io::IsTerminal::is_terminal(&stdout) {
            self.block_on(write_json_lines(events, &mut JsonForTerminal::new(stdout.lock())))
        } else {
            self.block_on(write_json_lines(events, &mut stdout.lock()))
        };
        match written {
            Ok(_) => Ok(()),
            // The reader went away (`invent watch-org-chats | head`): not an error of ours.
            Err(WatchError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => {
                let exit = watch_exit(&e);
                Err(Failure::Watch { error: e.to_string(), label: label::<B>(), exit })
            }
        }
    }

    /// One call whose body is not JSON: the bytes go to stdout as they arrive.
    #[allow(dead_code)] // only reached when the spec has a non-JSON response
    fn bytes<B>(&self, request: B) -> Result<(), Failure>
    where
        B: Operation<Output = ByteStream>,
    {
        self.block_on(async {
            let response = request.send().await.map_err(call_failure::<B>)?;
            let mut stream = response.into_inner_stream();
            let mut out = Out::new();
            while let Some(chunk) = stream.try_next().await.map_err(|source| {
                call_failure::<B>(invent_api::Error::Transport { source, attempts: 1, stopped: None })
            })? {
                out.bytes(&chunk)?;
            }
            out.flush()?;
            Ok(())
        })
    }
}

/// The exit status of an event stream that ended with `error`.
/// Hands an answer received as sent (a raw call standing for `B`) to the client's drift capture
/// (`--record-drift`); typed calls are checked by the client itself.
fn drift_check<B: Operation>(
    client: &invent_api::Client,
    result: &Result<invent_api::ResponseValue<bytes::Bytes>, invent_api::Error>,
) {
    match result {
        Ok(response) => client.drift_check(B::SPEC, response.status(), response.headers(), response),
        Err(invent_api::Error::Api(error)) => client.drift_check(B::SPEC, error.status, &error.headers, &error.body),
        Err(_) => {}
    }
}

fn watch_exit(error: &WatchError) -> u8 {
    use invent_api::events::Disconnect as D;
    match error {
        WatchError::Events(events) => match events.disconnect() {
            Some(D::Refused { status, .. }) if status.is_client_error() || status.is_server_error() => {
                output::exit_for_status(status.as_u16())
            }
            // A success or redirect instead of `101`: the server does not speak WebSocket there.
            Some(D::Refused { .. } | D::BadHandshake(_) | D::Protocol(_)) => output::EXIT_DECODE,
            Some(_) => output::EXIT_TRANSPORT,
            None => output::EXIT_FAILURE,
        },
        WatchError::Io(_) => output::EXIT_FAILURE,
    }
}

/// `get-assistant (GET /orgs/{org_id}/assistants/{assistant_id})`.
pub(crate) fn label<B: Operation>() -> String {
    let spec = B::SPEC;
    format!("{} ({} {})", spec.id.replace('_', "-"), spec.method, spec.template)
}

fn call_failure<B: Operation>(error: invent_api::Error) -> Failure {
    Failure::Call { error, label: label::<B>() }
}

fn to_json<B: Operation, T: Serialize>(value: &T) -> Result<Value, Failure> {
    serde_json::to_value(value)
        .map_err(|e| Failure::Usage(format!("{}: could not encode the result as JSON: {e}", label::<B>())))
}

/// A flag of the subcommand, false when the subcommand does not define it.
fn flag(matches: &ArgMatches, id: &str) -> bool {
    matches.try_get_one::<bool>(id).ok().flatten().copied().unwrap_or(false)
}

/// An argument's value as typed on the command line, as a whole number.
fn raw_number(matches: &ArgMatches, id: &str) -> Option<u64> {
    let text = matches.try_get_raw(id).ok().flatten()?.next()?.to_str()?.trim().to_string();
    text.parse::<u64>()
        .ok()
        .or_else(|| text.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f as u64))
}

/// A builder type, probed for [`ListOperation`] without a value (`is_list`, see `generated.rs`).
pub(crate) struct TypeProbe<B>(std::marker::PhantomData<B>);

impl<B> TypeProbe<B> {
    pub(crate) fn new() -> Self {
        TypeProbe(std::marker::PhantomData)
    }
}

/// `(&&TypeProbe::<B>::new()).is_list()`: true when `B` gets the list runner.
pub(crate) trait IsList {
    fn is_list(&self) -> bool {
        true
    }
}

impl<B> IsList for &TypeProbe<B>
where
    B: ListOperation,
    <B as ListOperation>::Item: Serialize,
{
}

pub(crate) trait NotList {
    fn is_list(&self) -> bool {
        false
    }
}

impl<B> NotList for TypeProbe<B> {}

/// The builder of the command being run, wrapped so the runners below can be picked by its type.
pub(crate) struct Probe<'r, B>(pub(crate) &'r mut B);

/// Level 1: list operations (`--paginate`).
pub(crate) trait RunList {
    fn run(&self, config: &Config, matches: &ArgMatches) -> anyhow::Result<()>;
}

impl<B> RunList for &&&Probe<'_, B>
where
    B: ListOperation,
    <B as ListOperation>::Item: Serialize,
{
    fn run(&self, config: &Config, matches: &ArgMatches) -> anyhow::Result<()> {
        let request = B::clone(&*self.0);
        if !flag(matches, super::PAGINATE) {
            return config.finish(config.single(request));
        }
        // Page numbers and sizes are u32 (invent_api::PageInfo); a larger number saturates.
        let as_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        let take = raw_number(matches, "take").map_or(MAX_TAKE, as_u32).clamp(1, MAX_TAKE);
        let first = raw_number(matches, "page").map_or(1, as_u32).max(1);
        config.finish(config.paginate(request, first, take))
    }
}

/// Level 2: one call, JSON result.
pub(crate) trait RunItem {
    fn run(&self, config: &Config, matches: &ArgMatches) -> anyhow::Result<()>;
}

impl<B> RunItem for &&Probe<'_, B>
where
    B: Operation + Clone,
    B::Output: Serialize,
{
    fn run(&self, config: &Config, _: &ArgMatches) -> anyhow::Result<()> {
        config.finish(config.single(B::clone(&*self.0)))
    }
}

/// Level 3: one call, byte-stream result (a download): written to stdout.
#[allow(dead_code)] // only used when the spec has a non-JSON response
pub(crate) trait RunBytes {
    fn run(&self, config: &Config, matches: &ArgMatches) -> anyhow::Result<()>;
}

impl<B> RunBytes for &Probe<'_, B>
where
    B: Operation<Output = ByteStream> + Clone,
{
    fn run(&self, config: &Config, _: &ArgMatches) -> anyhow::Result<()> {
        config.finish(config.bytes(B::clone(&*self.0)))
    }
}

/// Level 3 too (a builder is a download or a socket, never both): a WebSocket route, watched.
#[allow(dead_code)] // only used when the spec has WebSocket routes
pub(crate) trait RunWatch {
    fn run(&self, config: &Config, matches: &ArgMatches) -> anyhow::Result<()>;
}

impl<B> RunWatch for &Probe<'_, B>
where
    B: Operation<Output = reqwest::Upgraded>,
{
    fn run(&self, config: &Config, _: &ArgMatches) -> anyhow::Result<()> {
        config.finish(config.watch::<B>())
    }
}

/// Level 4: anything else, e.g. an operation with a raw (non-JSON) request body, which progenitor's CLI
/// has no argument for (its builder is not `Clone`). Reported, never sent half-built.
#[allow(dead_code)] // only used for a builder none of the runners above fits
pub(crate) trait RunOther {
    fn run(&self, config: &Config, matches: &ArgMatches) -> anyhow::Result<()>;
}

impl<B: Operation> RunOther for Probe<'_, B> {
    fn run(&self, config: &Config, _: &ArgMatches) -> anyhow::Result<()> {
        config.finish(Err(Failure::Usage(format!(
            "{}: this operation's request body is not JSON, which the generated subcommand cannot send; use `invent api` with --body",
            label::<B>()
        ))))
    }
}
