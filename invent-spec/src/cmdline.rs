//! The command-line plumbing the `invent-spec` subcommands share: argument parsing, and running a
//! subcommand body so that errors and panics end as one line on stderr with exit 2.

/// Runs a subcommand body: `Err` becomes one line on stderr and exit 2; a panic is caught and reported
/// the same way.
pub(crate) fn run_cmd(name: &str, body: impl FnOnce() -> Result<u8, String>) -> u8 {
    let message = match crate::panics::catch(body) {
        Ok(Ok(code)) => return code,
        Ok(Err(m)) => m,
        Err(what) => format!("internal error (please report): {what}"),
    };
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    eprintln!("invent-spec {name}: error: {line}");
    2
}

/// Positional arguments, `--name VALUE` / `--name=VALUE` options and `--switch`es.
#[derive(Debug)]
pub(crate) struct Args {
    pub positional: Vec<String>,
    options: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Args {
    pub fn parse(args: &[String], options: &[&str], min: usize, max: usize) -> Result<Self, String> {
        Self::parse_with(args, options, &[], min, max)
    }

    pub fn parse_with(
        args: &[String],
        options: &[&str],
        switches: &[&str],
        min: usize,
        max: usize,
    ) -> Result<Self, String> {
        let mut out = Args { positional: Vec::new(), options: Vec::new(), switches: Vec::new() };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--" {
                out.positional.extend(it.by_ref().cloned());
                break;
            }
            let Some(flag) = a.strip_prefix("--") else {
                out.positional.push(a.clone());
                continue;
            };
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (flag, None),
            };
            if switches.contains(&name) && inline.is_none() {
                out.switches.push(name.to_string());
            } else if options.contains(&name) {
                let value = match inline {
                    Some(v) => v,
                    None => it.next().cloned().ok_or_else(|| format!("`--{name}` needs a value"))?,
                };
                out.options.push((name.to_string(), value));
            } else {
                return Err(format!("unknown option `{a}`"));
            }
        }
        let n = out.positional.len();
        if n < min || n > max {
            return Err(if min == max {
                format!("expected {min} argument{}, got {n}", if min == 1 { "" } else { "s" })
            } else {
                format!("expected {min} to {max} arguments, got {n}")
            });
        }
        Ok(out)
    }

    pub fn option(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_options_switches_and_positionals() {
        let a = Args::parse_with(
            &s(&["a", "--format=json", "--fail-on", "any", "--no-overrides", "b"]),
            &["format", "fail-on"],
            &["no-overrides"],
            2,
            2,
        )
        .unwrap();
        assert_eq!(a.positional, ["a", "b"]);
        assert_eq!(a.option("format"), Some("json"));
        assert_eq!(a.option("fail-on"), Some("any"));
        assert!(a.switch("no-overrides"));
        assert!(Args::parse(&s(&["--bogus"]), &[], 0, 0).unwrap_err().contains("unknown option"));
        assert!(Args::parse(&s(&["--format"]), &["format"], 0, 0).unwrap_err().contains("needs a value"));
        assert!(Args::parse(&s(&["x"]), &[], 2, 2).unwrap_err().contains("expected 2 arguments, got 1"));
    }

    #[test]
    fn panics_and_errors_become_exit_2() {
        assert_eq!(run_cmd("t", || Ok(1)), 1);
        assert_eq!(run_cmd("t", || Err("bad\ninput".to_string())), 2);
        assert_eq!(run_cmd("t", || -> Result<u8, String> { panic!("boom") }), 2);
    }
}
