//! The `svodka` command line: arguments, logging, exit codes. The work is in `svodka::cli`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use svodka::cli::{self, Failure};

#[derive(Parser)]
#[command(
    name = "svodka",
    version,
    about = "A regional news wire: merged, deduplicated, tagged feeds"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `--config`, on the commands that read one (`inspect` and `demo` need none, so their help
/// does not offer it).
#[derive(clap::Args)]
struct ConfigArg {
    /// The config file.
    #[arg(long, env = "SVODKA_CONFIG", default_value = "config/svodka.toml")]
    config: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Load and validate the config; print a one-line summary.
    Check(ConfigArg),
    /// One fetch cycle now over all enabled sources (or one), then exit; ignores backoff.
    Fetch {
        /// Fetch only this source (by name), even if it is disabled.
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// The daemon: scheduler and HTTP server (SIGHUP reloads the config, SIGTERM stops).
    Run(ConfigArg),
    /// Write one published feed (or topic feed) to stdout, or (--all DIR) every feed, topic
    /// feed and page as static files.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["feed", "topic", "all"])))]
    Export {
        /// A configured [[feed]] by name.
        #[arg(long)]
        feed: Option<String>,
        /// A [[topic]] by name: everything tagged with it, as at /topics/NAME.rss.
        #[arg(long)]
        topic: Option<String>,
        #[arg(long, default_value = "rss", value_parser = ["rss", "atom", "json"])]
        format: String,
        /// Write every feed in every format, each topic feed, the pages and OPML under DIR
        /// (with a .gz beside each); files whose bytes did not change are left untouched.
        #[arg(long, value_name = "DIR", conflicts_with = "format")]
        all: Option<std::path::PathBuf>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Each source with its health: last fetch, status, error, streak, next due, items.
    Sources(ConfigArg),
    /// Fetch or read one feed and print what svodka sees in it (needs no config).
    Inspect {
        /// An http(s) URL to fetch, or a file to read.
        url_or_file: String,
        /// Decode with this encoding, whatever the feed says.
        #[arg(long)]
        encoding: Option<String>,
    },
    /// Serve the bundled sample agencies on loopback and run the daemon against them (writes its
    /// own config in a temporary folder).
    Demo {
        /// Where to serve; by default 127.0.0.1:8080, or any free port when that is taken.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Re-apply the configured topics to every stored item.
    Retag(ConfigArg),
    /// The headline topics of the period: configured topics ranked by stories, and names that
    /// several stories' headlines share ("discovered").
    Trending {
        #[arg(long, default_value = "week", value_parser = ["day", "week", "month"])]
        period: String,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// The biggest stories of the period: those carried by the most agencies, each with its
    /// lead headline and every report (agency, time, headline, link).
    Stories {
        #[arg(long, default_value = "day", value_parser = ["day", "week", "month"])]
        period: String,
        /// How many stories to list.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Search the stored reports: words in any form, "a phrase", -word, word*, source:NAME,
    /// region:NAME, topic:NAME, since:2026-12-01, until:2026-12-07, sort:date. One line per
    /// story, best first.
    Search {
        /// The query (several arguments are joined by spaces); quote one with a -word in it
        /// (`svodka search 'школа -Елец'`), or put it after `--`.
        #[arg(required = true)]
        query: Vec<String>,
        /// Only reports of the last day, week or month (by default, every stored report).
        #[arg(long, default_value = "all", value_parser = ["day", "week", "month", "all"])]
        period: String,
        /// How many stories to list (at most 200).
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Print an edition of a configured [[digest]]: the newest, or that of --date.
    Digest {
        name: String,
        /// The edition's date (2026-12-07), or its whole key.
        #[arg(long)]
        date: Option<String>,
        #[arg(long, default_value = "text", value_parser = ["html", "text", "md"])]
        format: String,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Each [[digest]]: its editions, the next one due, and editions not yet mailed.
    Digests(ConfigArg),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let daemon_like = matches!(cli.command, Command::Run(_) | Command::Demo { .. });
    cli::init_logging(if daemon_like { "info" } else { "warn" });
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("svodka: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Command::Check(c) => cli::check(&c.config),
            Command::Fetch { source, config } => {
                cli::fetch(&config.config, source.as_deref()).await
            }
            Command::Run(c) => cli::run(&c.config).await,
            Command::Export {
                all: Some(dir),
                config,
                ..
            } => cli::export_all(&config.config, &dir),
            Command::Export {
                feed,
                topic,
                format,
                all: None,
                config,
            } => cli::export(&config.config, feed, topic, &format).await,
            Command::Sources(c) => cli::sources(&c.config),
            Command::Inspect {
                url_or_file,
                encoding,
            } => cli::inspect(&url_or_file, encoding.as_deref()).await,
            Command::Demo { listen } => cli::demo(listen).await,
            Command::Retag(c) => cli::retag(&c.config),
            Command::Trending { period, config } => cli::trending(&config.config, &period),
            Command::Stories {
                period,
                limit,
                config,
            } => cli::stories(&config.config, &period, limit),
            Command::Search {
                query,
                period,
                limit,
                format,
                config,
            } => cli::search(&config.config, &query.join(" "), &period, limit, &format),
            Command::Digest {
                name,
                date,
                format,
                config,
            } => cli::digest(&config.config, &name, date.as_deref(), &format),
            Command::Digests(c) => cli::digests(&c.config),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("svodka: {e}");
            ExitCode::from(2)
        }
        // A database from a newer svodka is refused like a bad config: nothing ran, and a
        // restart will not help.
        Err(Failure::Other(e)) if e.chain().any(|c| c.is::<svodka::store::NewerSchema>()) => {
            eprintln!("svodka: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("svodka: {e:#}");
            ExitCode::FAILURE
        }
    }
}
