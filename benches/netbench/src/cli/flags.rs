//! A small flag parser: `--name value` and `--switch`, nothing else, with
//! messages that name the flag and the bad value.

use std::io;
use std::str::FromStr;

/// An invalid-input error (exit status 2, usage shown).
pub(crate) fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

/// Parsed flags.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    values: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Flags {
    /// Parses `args` against the flags that take a value and the switches.
    pub(crate) fn parse(args: &[String], valued: &[&str], switches: &[&str]) -> io::Result<Self> {
        let mut f = Flags::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let name = a.strip_prefix("--").ok_or_else(|| bad(format!("unexpected argument {a:?}")))?;
            if valued.contains(&name) {
                let v = it.next().ok_or_else(|| bad(format!("--{name} needs a value")))?;
                f.values.push((name.to_string(), v.clone()));
            } else if switches.contains(&name) {
                f.switches.push(name.to_string());
            } else {
                return Err(bad(format!("unknown flag --{name} for this command")));
            }
        }
        Ok(f)
    }

    /// The value of `--name`, if given (the last one wins).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The value of a required flag.
    pub(crate) fn req(&self, name: &str) -> io::Result<String> {
        self.get(name).map(str::to_string).ok_or_else(|| bad(format!("--{name} is required")))
    }

    /// Whether a switch was given.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    /// `--name` parsed, or `default`.
    pub(crate) fn num<T: FromStr>(&self, name: &str, default: T) -> io::Result<T> {
        Ok(self.opt_num(name)?.unwrap_or(default))
    }

    /// `--name` parsed, if given.
    pub(crate) fn opt_num<T: FromStr>(&self, name: &str) -> io::Result<Option<T>> {
        self.get(name)
            .map(|v| v.parse().map_err(|_| bad(format!("--{name}: {v:?} is not a valid value"))))
            .transpose()
    }

    /// `--name a,b,c` parsed, or `default`.
    pub(crate) fn list(&self, name: &str, default: &[u64]) -> io::Result<Vec<u64>> {
        match self.get(name) {
            None => Ok(default.to_vec()),
            Some(v) => v
                .split(',')
                .map(|x| x.trim().parse().map_err(|_| bad(format!("--{name}: {x:?} is not a number"))))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_and_rejects() {
        let f = Flags::parse(&args("--conns 1,2 --strace --workers 3"), &["conns", "workers"], &["strace"])
            .unwrap();
        assert_eq!(f.list("conns", &[]).unwrap(), vec![1, 2]);
        assert_eq!(f.num::<usize>("workers", 1).unwrap(), 3);
        assert!(f.has("strace"));
        assert!(Flags::parse(&args("--bogus"), &[], &[]).is_err());
        assert!(Flags::parse(&args("--conns"), &["conns"], &[]).is_err());
        let f = Flags::parse(&args("--workers two"), &["workers"], &[]).unwrap();
        assert_eq!(f.num::<usize>("workers", 1).unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }
}
