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
    /// The config file.
    #[arg(
        long,
        global = true,
        env = "SVODKA_CONFIG",
        default_value = "config/svodka.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load and validate the config; print a one-line summary.
    Check,
    /// One fetch cycle now over all enabled sources (or one), then exit.
    Fetch {
        #[arg(long)]
        source: Option<String>,
    },
    /// The daemon: scheduler and HTTP server.
    Run,
    /// Write one published feed to stdout.
    Export {
        #[arg(long)]
        feed: String,
        #[arg(long, default_value = "rss", value_parser = ["rss", "atom", "json"])]
        format: String,
    },
    /// Each source with its health.
    Sources,
    /// Fetch or read one feed and print what svodka sees in it (needs no config).
    Inspect {
        url_or_file: String,
        /// Decode with this encoding, whatever the feed says.
        #[arg(long)]
        encoding: Option<String>,
    },
    /// Serve the bundled sample agencies on loopback and run the daemon against them.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Re-apply the configured topics to every stored item.
    Retag,
    /// The headline topics of the period, configured and discovered.
    Trending {
        #[arg(long, default_value = "week", value_parser = ["day", "week", "month"])]
        period: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let daemon_like = matches!(cli.command, Command::Run | Command::Demo { .. });
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
    let config = cli.config;
    let result = rt.block_on(async move {
        match cli.command {
            Command::Check => cli::check(&config),
            Command::Fetch { source } => cli::fetch(&config, source.as_deref()).await,
            Command::Run => cli::run(&config).await,
            Command::Export { feed, format } => cli::export(&config, &feed, &format).await,
            Command::Sources => cli::sources(&config),
            Command::Inspect {
                url_or_file,
                encoding,
            } => cli::inspect(&url_or_file, encoding.as_deref()).await,
            Command::Demo { listen } => cli::demo(listen).await,
            Command::Retag => cli::retag(&config),
            Command::Trending { period } => cli::trending(&config, &period),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("svodka: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("svodka: {e:#}");
            ExitCode::FAILURE
        }
    }
}
