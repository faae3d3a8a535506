//! The ingest runner: the one place fetch tasks are started, for `svodka fetch` and for the
//! daemon's scheduler alike. Sources wait in a queue by host; a bounded window of tasks runs at
//! once, no host past its share of it; a task that ends, or panics, makes room for the next
//! source of its host.

use std::collections::{HashMap, VecDeque};

use tokio::task::{Id, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::cycle::{self, Ctx, SourceResult};
use crate::model::FetchState;
use crate::store;

/// How many fetch tasks may exist at once, and of one host: enough to keep every permit of
/// `fetch.concurrency` busy while some tasks wait for their host, few enough that the tasks of
/// ten thousand sources are not all in memory at once (a waiting task holds its whole future).
pub fn task_window(cfg: &Config) -> (usize, usize) {
    (
        cfg.fetch.concurrency.saturating_mul(4).max(64),
        cfg.fetch.per_host.saturating_mul(2).max(2),
    )
}

/// A source waiting for a task. It is held by its index in the config and copied when its task
/// starts, so a long queue costs little memory.
struct Job {
    at: usize,
    /// Read in one batch before the task starts, unless the caller read it already.
    state: Option<FetchState>,
    seq: usize,
}

/// What the runner remembers of a running task, so that its end (or its panic, which returns
/// nothing) makes room for its host's next source and names its own.
struct Running {
    name: String,
    host: String,
    seq: usize,
}

/// A fetch task that ended.
pub struct Ended {
    /// The source it fetched.
    pub name: String,
    /// The order its source was queued in.
    pub seq: usize,
    /// `None` when the task panicked (logged here).
    pub result: Option<SourceResult>,
}

/// Fetch tasks in a window over a queue of sources. The caller pushes sources, calls `start`
/// to fill the window, and awaits `next` for each task's end; `next` is cancel-safe, so it can
/// sit in a `select!` beside other work.
pub struct Ingest {
    queue: FetchQueue<Job>,
    tasks: JoinSet<SourceResult>,
    running: HashMap<Id, Running>,
    /// Ignore backoff: a person asked for this fetch.
    force: bool,
    cancel: CancellationToken,
    pushed: usize,
}

impl Ingest {
    pub fn new(cfg: &Config, force: bool, cancel: CancellationToken) -> Ingest {
        Ingest {
            queue: FetchQueue::new(task_window(cfg).1),
            tasks: JoinSet::new(),
            running: HashMap::new(),
            force,
            cancel,
            pushed: 0,
        }
    }

    /// Queues the source at this index of `ctx.cfg.sources` behind the others of its host;
    /// `state` is its fetch state when the caller has read it.
    pub fn push(&mut self, ctx: &Ctx, at: usize, state: Option<FetchState>) {
        let Some(source) = ctx.cfg.sources.get(at) else {
            return;
        };
        let seq = self.pushed;
        self.pushed += 1;
        self.queue.push(&source.url, Job { at, state, seq });
    }

    /// Starts as many queued sources as the window has room for, hosts taking turns. The
    /// fetch states not yet read are read in one trip to the database; a source whose state
    /// cannot be read reads it again in its own task and reports the error there.
    pub async fn start(&mut self, ctx: &Ctx) {
        let room = task_window(&ctx.cfg).0.saturating_sub(self.tasks.len());
        let mut start = self.queue.take(room);
        let unread: Vec<usize> = (0..start.len())
            .filter(|&i| start[i].1.state.is_none())
            .collect();
        if !unread.is_empty() {
            let names: Vec<String> = unread
                .iter()
                .map(|&i| ctx.cfg.sources[start[i].1.at].name.clone())
                .collect();
            if let Ok(Ok(states)) = ctx
                .db
                .call(move |c| store::load_fetch_states(c, &names))
                .await
            {
                for (i, state) in unread.into_iter().zip(states) {
                    start[i].1.state = Some(state);
                }
            }
        }
        for (host, job) in start {
            self.spawn(ctx, host, job);
        }
    }

    fn spawn(&mut self, ctx: &Ctx, host: String, job: Job) {
        let source = ctx.cfg.sources[job.at].clone();
        let name = source.name.clone();
        let (ctx, cancel, force) = (ctx.clone(), self.cancel.clone(), self.force);
        let task = async move {
            let outcome = cycle::fetch_source(&ctx, &source, job.state, force, &cancel).await;
            SourceResult {
                source: source.name,
                outcome,
            }
        };
        self.spawn_task(
            Running {
                name,
                host,
                seq: job.seq,
            },
            task,
        );
    }

    fn spawn_task(
        &mut self,
        running: Running,
        task: impl Future<Output = SourceResult> + Send + 'static,
    ) {
        let handle = self.tasks.spawn(task);
        self.running.insert(handle.id(), running);
    }

    /// The next task to end; `None` when none is running.
    pub async fn next(&mut self) -> Option<Ended> {
        loop {
            let joined = self.tasks.join_next_with_id().await?;
            let id = match &joined {
                Ok((id, _)) => *id,
                Err(e) => e.id(),
            };
            // Every task spawned is recorded; one that is not cannot be named.
            let Some(Running { name, host, seq }) = self.running.remove(&id) else {
                continue;
            };
            self.queue.ended(&host);
            let result = match joined {
                Ok((_, result)) => Some(result),
                Err(e) => {
                    tracing::error!("fetching {name} failed: {e}");
                    None
                }
            };
            return Some(Ended { name, seq, result });
        }
    }

    /// Whether no task is running.
    pub fn is_idle(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The sources being fetched now.
    pub fn running(&self) -> impl Iterator<Item = &str> {
        self.running.values().map(|r| r.name.as_str())
    }

    /// A reload: the queued sources are forgotten (they are held by their index in the old
    /// config, and the caller schedules them again); the running tasks go on and still count
    /// against their hosts, whose share follows the new config.
    pub fn reconfigure(&mut self, cfg: &Config) {
        self.queue.clear();
        self.queue.set_per_host(task_window(cfg).1);
    }
}

/// Fetches the sources at these indexes of `ctx.cfg.sources` (`svodka fetch`), every one to its
/// end, and returns their results in the order given. `force` ignores backoff; a source that
/// answered 410 Gone is skipped either way until its URL changes in the config.
pub async fn run(
    ctx: &Ctx,
    sources: Vec<usize>,
    force: bool,
    cancel: &CancellationToken,
) -> Vec<SourceResult> {
    let sources: Vec<usize> = sources
        .into_iter()
        .filter(|&at| at < ctx.cfg.sources.len())
        .collect();
    let names: Vec<String> = sources
        .iter()
        .map(|&at| ctx.cfg.sources[at].name.clone())
        .collect();
    // All the fetch states in one trip, rather than one per window's batch.
    let states: Vec<Option<FetchState>> = match ctx
        .db
        .call(move |c| store::load_fetch_states(c, &names))
        .await
    {
        Ok(Ok(states)) => states.into_iter().map(Some).collect(),
        _ => vec![None; sources.len()],
    };
    let mut ingest = Ingest::new(&ctx.cfg, force, cancel.clone());
    for (at, state) in sources.into_iter().zip(states) {
        ingest.push(ctx, at, state);
    }
    let mut results = Vec::new();
    loop {
        ingest.start(ctx).await;
        match ingest.next().await {
            Some(Ended {
                seq,
                result: Some(r),
                ..
            }) => results.push((seq, r)),
            Some(_) => {}
            None => break,
        }
    }
    results.sort_by_key(|(seq, _)| *seq);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Sources waiting for a fetch task, queued by host in their order: hosts take turns
/// (round-robin), and none has more than its share of tasks at once, so a host that hangs
/// holds a few tasks, never the whole window. Taking and ending cost the hosts passed over,
/// not the sources waiting.
pub struct FetchQueue<T> {
    /// Sources waiting, by host.
    queues: HashMap<String, VecDeque<T>>,
    /// Hosts with sources waiting, in turn order (each once).
    turns: VecDeque<String>,
    /// Tasks running per host.
    running: HashMap<String, usize>,
    per_host: usize,
    waiting: usize,
}

impl<T> FetchQueue<T> {
    pub fn new(per_host: usize) -> FetchQueue<T> {
        FetchQueue {
            queues: HashMap::new(),
            turns: VecDeque::new(),
            running: HashMap::new(),
            per_host: per_host.max(1),
            waiting: 0,
        }
    }

    /// Queues a source behind the others of its host.
    pub fn push(&mut self, url: &url::Url, item: T) {
        let host = crate::fetch::host_key(url);
        self.waiting += 1;
        let q = self.queues.entry(host.clone()).or_default();
        if q.is_empty() {
            self.turns.push_back(host);
        }
        q.push_back(item);
    }

    /// Up to `room` sources to start now, with their hosts: one per host in turn, skipping the
    /// hosts at their share.
    pub fn take(&mut self, room: usize) -> Vec<(String, T)> {
        let mut out = Vec::new();
        while out.len() < room {
            let mut gave = false;
            for _ in 0..self.turns.len() {
                if out.len() == room {
                    break;
                }
                let Some(host) = self.turns.pop_front() else {
                    break;
                };
                let n = self.running.get(&host).copied().unwrap_or(0);
                let q = self.queues.get_mut(&host);
                let item = if n < self.per_host {
                    q.and_then(|q| q.pop_front())
                } else {
                    None
                };
                if let Some(item) = item {
                    self.running.insert(host.clone(), n + 1);
                    self.waiting -= 1;
                    out.push((host.clone(), item));
                    gave = true;
                }
                if self.queues.get(&host).is_some_and(|q| !q.is_empty()) {
                    self.turns.push_back(host);
                } else {
                    self.queues.remove(&host);
                }
            }
            if !gave {
                break;
            }
        }
        out
    }

    /// A task of `host` ended: the host may start another.
    pub fn ended(&mut self, host: &str) {
        if let Some(n) = self.running.get_mut(host) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.running.remove(host);
            }
        }
    }

    /// A host's share from now on (a reload).
    pub fn set_per_host(&mut self, per_host: usize) {
        self.per_host = per_host.max(1);
    }

    /// Sources waiting (not yet taken).
    pub fn waiting(&self) -> usize {
        self.waiting
    }

    /// Forgets the waiting sources (a reload schedules them again); running tasks still count.
    pub fn clear(&mut self) {
        self.queues.clear();
        self.turns.clear();
        self.waiting = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_makes_room_for_its_hosts_next() {
        let mut ingest = Ingest {
            queue: FetchQueue::new(1),
            tasks: JoinSet::new(),
            running: HashMap::new(),
            force: false,
            cancel: CancellationToken::new(),
            pushed: 0,
        };
        for seq in 0..2 {
            let job = Job {
                at: seq,
                state: None,
                seq,
            };
            ingest
                .queue
                .push(&url(&format!("https://agency.example/{seq}.xml")), job);
        }
        let mut first = ingest.queue.take(10);
        assert_eq!(first.len(), 1, "one task of the host at a time");
        let (host, job) = first.remove(0);
        let running = Running {
            name: "agency".into(),
            host,
            seq: job.seq,
        };
        ingest.spawn_task(running, async { panic!("a bug in one source's fetch") });
        let ended = ingest.next().await.expect("the task ended");
        assert_eq!(ended.name, "agency");
        assert!(ended.result.is_none());
        // The host has room again: its next source starts.
        assert_eq!(ingest.queue.take(10).len(), 1);
        assert!(ingest.is_idle());
        assert!(ingest.next().await.is_none());
    }

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).expect("a test URL")
    }

    #[test]
    fn hosts_take_turns_and_none_passes_its_share() {
        let mut q = FetchQueue::new(2);
        // Five sources of one agency's host first, then two others.
        for i in 0..5 {
            q.push(
                &url(&format!("https://Lipetsk.example/rss/{i}.xml")),
                format!("l{i}"),
            );
        }
        q.push(&url("https://elets.example/rss.xml"), "e0".to_string());
        q.push(&url("https://tambov.example/rss.xml"), "t0".to_string());
        let taken: Vec<String> = q.take(10).into_iter().map(|(_, s)| s).collect();
        // In turns, the host's order kept, and two of lipetsk at most (its host name folded).
        assert_eq!(taken, ["l0", "e0", "t0", "l1"]);
        assert_eq!(q.waiting(), 3);
        assert!(q.take(10).is_empty(), "lipetsk is at its share");
        q.ended("lipetsk.example");
        let next: Vec<(String, String)> = q.take(10);
        assert_eq!(next, [("lipetsk.example".to_string(), "l2".to_string())]);
        // Room counts too.
        q.ended("lipetsk.example");
        q.ended("lipetsk.example");
        assert_eq!(q.take(1).len(), 1);
        assert_eq!(q.waiting(), 1);
        q.clear();
        assert_eq!(q.waiting(), 0);
        assert!(q.take(10).is_empty());
    }
}
