//! [`DriftConfig`]: whether the client captures drift, how often it samples, where the JSON-lines
//! report goes and how many findings it keeps; and reading it from `INVENT_DRIFT_*`.

use std::path::PathBuf;

use crate::ConfigError;

/// Environment variable: the share of responses checked, from `0` to `1` (`1` = every response).
pub const ENV_DRIFT_SAMPLE: &str = "INVENT_DRIFT_SAMPLE";
/// Environment variable: the JSON-lines file the drift report is appended to (capture on, all
/// responses, unless `INVENT_DRIFT_SAMPLE` says otherwise).
pub const ENV_DRIFT_FILE: &str = "INVENT_DRIFT_FILE";
/// Most distinct findings a client keeps by default; later new ones are counted as dropped.
pub const DEFAULT_MAX_FINDINGS: usize = 1000;

/// Drift capture settings ([`crate::ClientBuilder::drift`]). Off by default; [`DriftConfig::all`] or
/// [`DriftConfig::sampled`] turn it on.
///
/// ```
/// use invent_api::DriftConfig;
/// let every_tenth = DriftConfig::sampled(0.1).file("drift.jsonl").max_findings(500).seed(7);
/// assert!(every_tenth.is_on());
/// assert!(!DriftConfig::off().is_on());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DriftConfig {
    pub(crate) rate: f64,
    pub(crate) file: Option<PathBuf>,
    pub(crate) max_findings: usize,
    pub(crate) seed: Option<u64>,
}

impl Default for DriftConfig {
    fn default() -> Self {
        Self::off()
    }
}

impl DriftConfig {
    /// No capture (the default): no work and no allocation per call.
    pub fn off() -> Self {
        DriftConfig { rate: 0.0, file: None, max_findings: DEFAULT_MAX_FINDINGS, seed: None }
    }

    /// Checks every response (tests, staging).
    pub fn all() -> Self {
        Self::sampled(1.0)
    }

    /// Checks this share of responses, from `0.0` (none) to `1.0` (all); checked by
    /// [`crate::ClientBuilder::build`] (a rate outside `[0, 1]` or NaN is a [`ConfigError`]).
    pub fn sampled(rate: f64) -> Self {
        DriftConfig { rate, ..Self::off() }
    }

    /// Appends the report to this JSON-lines file (one finding per line, see
    /// [`DriftReport::to_json_lines`](crate::DriftReport::to_json_lines)) when the client is dropped
    /// and on [`Client::drift_flush`](crate::Client::drift_flush).
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = Some(path.into());
        self
    }

    /// Most distinct findings kept (default [`DEFAULT_MAX_FINDINGS`]); new ones beyond are counted in
    /// [`DriftReport::dropped`](crate::DriftReport::dropped).
    pub fn max_findings(mut self, findings: usize) -> Self {
        self.max_findings = findings;
        self
    }

    /// Seeds the sampling, so the same calls are sampled on every run (default: random per client).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Whether any response would be checked.
    pub fn is_on(&self) -> bool {
        self.rate > 0.0
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !(0.0..=1.0).contains(&self.rate) {
            return Err(ConfigError::InvalidSetting {
                setting: "drift.sample",
                reason: format!("{} is not a share of responses from 0 to 1", self.rate),
            });
        }
        Ok(())
    }

    /// The settings `INVENT_DRIFT_SAMPLE` / `INVENT_DRIFT_FILE` give, or `None` when neither is set. A
    /// file alone means every response; a sample that does not parse is kept as NaN so `build` says so.
    pub(crate) fn from_env() -> Option<Self> {
        let read = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        Self::from_values(read(ENV_DRIFT_SAMPLE), read(ENV_DRIFT_FILE))
    }

    fn from_values(sample: Option<String>, file: Option<String>) -> Option<Self> {
        if sample.is_none() && file.is_none() {
            return None;
        }
        let rate = sample.map_or(1.0, |s| s.parse::<f64>().unwrap_or(f64::NAN));
        let mut config = Self::sampled(rate);
        config.file = file.map(PathBuf::from);
        Some(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_turns_capture_on_and_a_bad_rate_is_an_error_at_build() {
        assert_eq!(DriftConfig::from_values(None, None), None);
        let file_only = DriftConfig::from_values(None, Some("d.jsonl".into())).unwrap();
        assert_eq!((file_only.rate, file_only.file.as_deref()), (1.0, Some(std::path::Path::new("d.jsonl"))));
        assert_eq!(DriftConfig::from_values(Some("0.25".into()), None).unwrap().rate, 0.25);
        for bad in ["x", "1.5", "-0.1", "NaN"] {
            let config = DriftConfig::from_values(Some(bad.into()), None).unwrap();
            assert!(config.validate().is_err(), "{bad}");
        }
        for good in [0.0, 0.5, 1.0] {
            assert!(DriftConfig::sampled(good).validate().is_ok());
        }
        assert!(!DriftConfig::default().is_on());
    }
}
