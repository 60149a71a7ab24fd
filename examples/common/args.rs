//! Settings from `--name value` flags and an optional TOML file (`--config FILE`);
//! a flag overrides the file. Names use `-` on the command line and `_` or `-` in the file.
//! A program may also accept tables in the file (`[edge]`), listed as `"[edge]"` among its
//! known names, which it reads itself.

use std::collections::HashMap;
use std::str::FromStr;

/// The settings of one program run.
#[derive(Debug, Default)]
pub struct Settings {
    flags: HashMap<String, String>,
    file: HashMap<String, String>,
    tables: toml::Table,
}

impl Settings {
    /// Reads the process arguments; `known` lists the accepted names (without `--`).
    /// `--help` prints `usage` and exits.
    pub fn from_args(known: &[&str], usage: &str) -> Result<Settings, String> {
        Settings::parse(std::env::args().skip(1), known, usage)
    }

    /// Parses `args`.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        known: &[&str],
        usage: &str,
    ) -> Result<Settings, String> {
        let mut s = Settings::default();
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            if a == "--help" || a == "-h" {
                println!("{usage}");
                std::process::exit(0);
            }
            let Some(name) = a.strip_prefix("--") else {
                return Err(format!("unexpected argument {a:?}\n\n{usage}"));
            };
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_owned(), v.to_owned()),
                None => {
                    let v = args
                        .next()
                        .ok_or_else(|| format!("--{name} needs a value"))?;
                    (name.to_owned(), v)
                }
            };
            if name.starts_with('[') || (name != "config" && !known.contains(&name.as_str())) {
                return Err(format!("unknown flag --{name}\n\n{usage}"));
            }
            s.flags.insert(name, value);
        }
        if let Some(path) = s.flags.get("config").cloned() {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
            let table: toml::Table = text.parse().map_err(|e| format!("{path}: {e}"))?;
            for (k, v) in table {
                if v.is_table() && known.contains(&format!("[{k}]").as_str()) {
                    s.tables.insert(k, v);
                    continue;
                }
                let key = k.replace('_', "-");
                if !known.contains(&key.as_str()) {
                    return Err(format!("{path}: unknown setting {k:?}"));
                }
                let text = match v {
                    toml::Value::String(s) => s,
                    toml::Value::Array(items) => items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(","),
                    other => other.to_string(),
                };
                s.file.insert(key, text);
            }
        }
        Ok(s)
    }

    /// The raw value of `name`, flag first, then file.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.flags
            .get(name)
            .or_else(|| self.file.get(name))
            .map(String::as_str)
    }

    /// The value of `name` given on the command line.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.get(name).map(String::as_str)
    }

    /// Whether the file gives `name` at its top level.
    pub fn in_file(&self, name: &str) -> bool {
        self.file.contains_key(name)
    }

    /// The tables of the file the program accepted (`[edge]`, ...).
    pub fn tables(&self) -> &toml::Table {
        &self.tables
    }

    /// The value of `name`, or `default`.
    pub fn get_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.get(name).unwrap_or(default)
    }

    /// The value of `name` parsed as `T`, if present.
    pub fn parsed<T: FromStr>(&self, name: &str) -> Result<Option<T>, String>
    where
        T::Err: std::fmt::Display,
    {
        self.get(name)
            .map(|v| v.parse::<T>().map_err(|e| format!("--{name} {v:?}: {e}")))
            .transpose()
    }

    /// A comma-separated list value of `name` (empty when absent).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}
