//! Digests delivered: `follow` is the daemon's task that makes editions on time (and, at start,
//! the one missed while it was down), `mail` sends them, `alert` posts a search's new stories.
//! What an edition holds and how it reads is `svodka_core::digest`.

pub mod alert;
pub mod follow;
pub mod mail;

pub use svodka_core::digest::*;
