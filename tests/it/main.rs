//! Integration tests: one binary, modules by area. Everything runs against a local origin on
//! 127.0.0.1 and a fresh SQLite file in a temp dir; nothing touches the internet.

mod bounds;
mod cli;
mod daemon;
mod digest;
mod door;
mod feeds;
mod fetching;
mod harness;
mod operator;
mod pages;
mod pipeline;
mod quirks;
mod realfeeds;
mod scale;
mod search;
mod store;
mod stories;
mod storyline;
mod topics;
mod websub;
