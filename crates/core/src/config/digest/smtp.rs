//! `[smtp]`: the mail server digests are sent through.

use std::path::PathBuf;

use serde::Deserialize;

use super::Ctx;
use crate::config::ConfigError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// Neither: only for a relay on the same machine.
    None,
}

#[derive(Debug, Clone)]
pub enum Password {
    File(PathBuf),
    Env(String),
}

#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    pub password: Option<Password>,
    pub from: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSmtp {
    host: String,
    port: Option<u16>,
    #[serde(default)]
    starttls: Option<bool>,
    #[serde(default)]
    tls: Option<bool>,
    user: Option<String>,
    password_file: Option<String>,
    password_env: Option<String>,
    /// Refused with a reason: a password belongs in a file or the environment.
    password: Option<toml::Value>,
    from: String,
}

/// One way of sending: a host, its security (STARTTLS unless told otherwise) and the port it
/// implies, a user whose password lives in a file or the environment, and a sender address.
pub(super) fn parse(cx: &Ctx, s: RawSmtp) -> Result<Smtp, ConfigError> {
    if s.password.is_some() {
        return Err(cx.err(
            "smtp.password",
            "a password is not written in the config: use `password_file` or `password_env`",
        ));
    }
    if s.host.trim().is_empty() || s.host.contains(char::is_whitespace) {
        return Err(cx.err("smtp.host", "must be a host name or address"));
    }
    let security = match (s.starttls, s.tls) {
        (Some(true), Some(true)) => {
            return Err(cx.err("smtp.tls", "`tls` and `starttls` both set: choose one"));
        }
        (_, Some(true)) => Security::Tls,
        (Some(false), _) => Security::None,
        _ => Security::StartTls,
    };
    let port = s.port.unwrap_or(match security {
        Security::Tls => 465,
        Security::StartTls => 587,
        Security::None => 25,
    });
    if port == 0 {
        return Err(cx.err("smtp.port", "must be between 1 and 65535"));
    }
    let password = match (s.password_file, s.password_env) {
        (Some(_), Some(_)) => {
            return Err(cx.err(
                "smtp.password_env",
                "`password_file` and `password_env` both set: choose one",
            ));
        }
        (Some(f), None) => Some(Password::File(cx.file_path("smtp.password_file", &f)?)),
        (None, Some(e)) if e.trim().is_empty() => {
            return Err(cx.err("smtp.password_env", "is empty"));
        }
        (None, Some(e)) => Some(Password::Env(e)),
        (None, None) => None,
    };
    if password.is_some() && s.user.is_none() {
        return Err(cx.err("smtp.user", "a password is given but no user"));
    }
    check_address(&s.from).map_err(|r| cx.err("smtp.from", r))?;
    Ok(Smtp {
        host: s.host,
        port,
        security,
        user: s.user,
        password,
        from: s.from,
    })
}

/// An address as mail servers accept it: `local@domain`, or `Name <local@domain>`.
pub fn check_address(a: &str) -> Result<(), String> {
    a.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("{a:?} is not an email address: {e}"))
}
