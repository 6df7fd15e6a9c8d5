//! Call latency through the client and the emulator (issue 17), as ratios to a bare request
//! measured in the same run.
//!
//! The emulator runs in a child process (this same program, re-run with
//! `TSL_BENCH_EMULATOR_CHILD=1`), so the client's CPU per call (`getrusage` of this process)
//! is the client's alone, and the emulator's CPU per call (`/proc/PID/stat` of the child) is
//! the emulator's alone.
//!
//! - **baseline**: a bare HTTP/1.1 `POST /` over one kept-alive socket, which the emulator
//!   answers with the gateway's 400 (`MissingAction`): no signing or JSON on this side,
//!   nothing past the emulator's first check on its side.
//! - **sync**: `Client::invoke_thing_service` of the street lamp's sync `Blink`, signed (V1),
//!   checked by the emulator, answered by the simulated device.
//! - **async**, **set**: the async `UploadSchedule`, and `SetDeviceProperty`.
//! - **batch**: `InvokeThingsService` of `UploadSchedule` on 100 devices in one call.
//!
//! `cargo bench -p tsl-runtime --features emulator --bench call_latency` prints the figures;
//! nothing is asserted. Each signed phase runs in blocks of 100 calls (10 for the batch),
//! each block after as many bare requests on the same kept-alive socket, and is also given
//! as a ratio to those: the load of a shared machine changes within a run.
//! `TSL_BENCH_CALLS` sets the calls per phase (default 2,000);
//! `TSL_BENCH_PHASES` (letters, e.g. `b`) runs only those phases after the baseline, to
//! profile one path (`perf record`, `strace -c`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tsl_runtime::client::{Client, InvokeThingService, InvokeThingsService, SetDeviceProperty};
use tsl_runtime::cloud::Device;
use tsl_runtime::emulator::{self, Emulator};
use tsl_runtime::model::Model;
use tsl_runtime::sign::Credentials;

const ID: &str = "bench-id";
const SECRET: &str = "bench-secret";
const PK: &str = "a1StreetLmp";
const FLEET: usize = 100;
const CHILD: &str = "TSL_BENCH_EMULATOR_CHILD";
const BLINK: &str = r#"{"Times":3,"Interval":1.0}"#;
const SCHEDULE: &str =
    r#"{"Schedule":[{"At":1080,"Brightness":70,"Enabled":1}],"ValidFrom":"1700000000000"}"#;

fn main() {
    if std::env::var_os(CHILD).is_some() {
        serve();
        return;
    }
    let calls: usize = std::env::var("TSL_BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let (mut child, addr) = spawn_emulator();
    let child_pid = child.id();
    let client = Client::builder()
        .endpoint(format!("http://{addr}/"))
        .allow_http(true)
        .credentials(Credentials::new(ID, SECRET).expect("non-empty"))
        .qps("InvokeThingService", 1_000_000)
        .qps("InvokeThingsService", 1_000_000)
        .qps("SetDeviceProperty", 1_000_000)
        .build()
        .expect("the client builds");
    // Where the calls run: `main` (the default) as a `#[tokio::main]` program's body does,
    // in `block_on` on the main thread with the connections on the runtime's workers;
    // `task`, in a task on a worker; `current`, on a current-thread runtime.
    let mode = std::env::var("TSL_BENCH_CLIENT").unwrap_or_else(|_| "main".to_string());
    let runtime = match mode.as_str() {
        "current" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    }
    .expect("a runtime");
    let on_runtime =
        |phase: std::pin::Pin<Box<dyn std::future::Future<Output = Measured> + Send>>| {
            if mode == "task" {
                runtime
                    .block_on(runtime.spawn(phase))
                    .expect("the phase's task ends")
            } else {
                runtime.block_on(phase)
            }
        };
    println!(
        "machine: {} cores; {calls} sequential calls per phase; client calls in {mode}; emulator in child process {child_pid}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // Warm up both sides (connections, allocators, lazy statics).
    let _ = Bare::connect(addr).run(200);
    let warm = client.clone();
    on_runtime(Box::pin(async move {
        for _ in 0..200 {
            sync_call(&warm).await;
        }
        Measured {
            wall: Duration::ZERO,
            latencies: Vec::new(),
            cpu: Duration::ZERO,
        }
    }));

    let mut bare = Bare::connect(addr);
    let child_before = child_cpu(child_pid);
    let base = bare.run(calls);
    let base_emulator_cpu = child_cpu(child_pid).saturating_sub(child_before);
    let base_stats = Stats::of(&base.latencies);
    println!(
        "(a) bare HTTP request (baseline): p50 {} p99 {} ({:.0} req/s); client CPU {} a request; emulator CPU {} a request",
        us(base_stats.p50),
        us(base_stats.p99),
        rate(calls, base.wall),
        us(base.cpu / calls as u32),
        us(base_emulator_cpu / calls as u32),
    );
    let phases: [(&str, usize); 4] = [
        ("(b) signed sync InvokeThingService", calls),
        ("(c) signed async InvokeThingService", calls),
        ("(d) signed SetDeviceProperty", calls),
        ("(e) InvokeThingsService, 100 devices a call", calls / 10),
    ];
    let only = std::env::var("TSL_BENCH_PHASES").unwrap_or_else(|_| "bcde".to_string());
    for (index, (name, n)) in phases.into_iter().enumerate() {
        if !only.contains((b'b' + index as u8) as char) {
            continue;
        }
        // The phase in blocks, each after a block of as many bare requests: on a machine
        // shared with other work the load changes within a run, and the ratio to the bare
        // requests timed next to the calls follows it, where the ratio to (a) does not.
        let block = if index == 3 { 10 } else { 100 };
        let mut phase = Measured {
            wall: Duration::ZERO,
            latencies: Vec::with_capacity(n),
            cpu: Duration::ZERO,
        };
        let mut beside = Vec::with_capacity(n);
        let mut emulator_cpu = Duration::ZERO;
        let mut done = 0;
        while done < n {
            let k = block.min(n - done);
            beside.extend(bare.run(k).latencies);
            let child_before = child_cpu(child_pid);
            let client = client.clone();
            let measured = on_runtime(Box::pin(async move {
                let cpu_before = own_cpu();
                let started = Instant::now();
                let mut latencies = Vec::with_capacity(k);
                for _ in 0..k {
                    let t = Instant::now();
                    match index {
                        0 => sync_call(&client).await,
                        1 => async_call(&client).await,
                        2 => set_call(&client).await,
                        _ => batch_call(&client).await,
                    }
                    latencies.push(t.elapsed());
                }
                Measured {
                    wall: started.elapsed(),
                    latencies,
                    cpu: own_cpu().saturating_sub(cpu_before),
                }
            }));
            emulator_cpu += child_cpu(child_pid).saturating_sub(child_before);
            phase.wall += measured.wall;
            phase.cpu += measured.cpu;
            phase.latencies.extend(measured.latencies);
            done += k;
        }
        let stats = Stats::of(&phase.latencies);
        let near = Stats::of(&beside);
        println!(
            "{name}: p50 {} ({:.2}× baseline) p99 {} ({:.2}× baseline) {:.0} calls/s; \
             client CPU {} a call ({:.2}× baseline p50); emulator CPU {} a call",
            us(stats.p50),
            ratio(stats.p50, base_stats.p50),
            us(stats.p99),
            ratio(stats.p99, base_stats.p99),
            rate(n, phase.wall),
            us(phase.cpu / n as u32),
            ratio(phase.cpu / n as u32, base_stats.p50),
            us(emulator_cpu / n as u32),
        );
        println!(
            "    against the {} bare requests interleaved with it (p50 {}, p99 {}): p50 {:.2}×, p99 {:.2}×",
            beside.len(),
            us(near.p50),
            us(near.p99),
            ratio(stats.p50, near.p50),
            ratio(stats.p99, near.p99),
        );
    }
    drop(child.stdin.take());
    let _ = child.wait();
}

struct Measured {
    wall: Duration,
    latencies: Vec<Duration>,
    cpu: Duration,
}

struct Stats {
    p50: Duration,
    p99: Duration,
}

impl Stats {
    fn of(latencies: &[Duration]) -> Stats {
        let mut sorted = latencies.to_vec();
        sorted.sort();
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        Stats {
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

async fn sync_call(client: &Client) {
    let request = InvokeThingService::new(Device::named(PK, "lamp-1"), "Blink", BLINK);
    let invoked = client
        .invoke_thing_service(&request)
        .await
        .expect("Blink answers");
    assert!(invoked.result.is_some(), "a sync call carries the reply");
}

async fn async_call(client: &Client) {
    let request = InvokeThingService::new(Device::named(PK, "lamp-1"), "UploadSchedule", SCHEDULE);
    client
        .invoke_thing_service(&request)
        .await
        .expect("UploadSchedule is accepted");
}

async fn set_call(client: &Client) {
    let request = SetDeviceProperty::new(Device::named(PK, "lamp-1"), r#"{"Brightness":50}"#);
    client
        .set_device_property(&request)
        .await
        .expect("the set is accepted");
}

async fn batch_call(client: &Client) {
    let names: Vec<String> = (0..FLEET).map(|i| format!("lamp-{i:03}")).collect();
    let request = InvokeThingsService::new(PK, names, "UploadSchedule", SCHEDULE);
    let report = client
        .invoke_things_service(&request)
        .await
        .expect("the batch runs");
    assert_eq!(report.accepted().count(), FLEET);
}

/// One kept-alive connection for bare POSTs.
struct Bare {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    request: Vec<u8>,
}

impl Bare {
    fn connect(addr: SocketAddr) -> Bare {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).ok();
        Bare {
            reader: BufReader::new(stream.try_clone().expect("clone")),
            writer: stream,
            request: format!("POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n")
                .into_bytes(),
        }
    }

    /// `n` bare POSTs, each timed.
    fn run(&mut self, n: usize) -> Measured {
        let mut latencies = Vec::with_capacity(n);
        let started = Instant::now();
        let cpu_before = own_cpu();
        for _ in 0..n {
            let t = Instant::now();
            self.writer.write_all(&self.request).expect("write");
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                self.reader.read_line(&mut line).expect("read");
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body).expect("body");
            latencies.push(t.elapsed());
        }
        Measured {
            wall: started.elapsed(),
            latencies,
            cpu: own_cpu().saturating_sub(cpu_before),
        }
    }
}

/// This process's user + system CPU time.
fn own_cpu() -> Duration {
    // SAFETY: getrusage writes into the struct it is given; a zeroed rusage is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer to an rusage.
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(status, 0, "getrusage");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// A child process's user + system CPU time, from `/proc/PID/stat` (clock ticks).
fn child_cpu(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // Fields after the command name (which may hold spaces) end at its `)`.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros((ticks(11) + ticks(12)) * 1_000_000 / hz)
}

fn spawn_emulator() -> (Child, SocketAddr) {
    let mut child = Command::new(std::env::current_exe().expect("this program"))
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the emulator child starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("the child prints its address");
    let addr = line.trim().parse().expect("an address");
    (child, addr)
}

/// The child: an emulator with limits lifted, until stdin closes.
fn serve() {
    let model = Model::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/models/street-lamp.json"
    ))
    .expect("the bundled model")
    .model;
    let mut builder = Emulator::new()
        .keep_history(std::env::var_os("TSL_BENCH_NO_HISTORY").is_none())
        .model(model)
        .credentials(ID, SECRET)
        .unlimited("InvokeThingService")
        .unlimited("InvokeThingsService")
        .unlimited("SetDeviceProperty")
        .device(emulator::Device::new(PK, "lamp-1"));
    for i in 0..FLEET {
        builder = builder.device(emulator::Device::new(PK, format!("lamp-{i:03}")));
    }
    let running = builder.start().expect("the emulator starts");
    println!("{}", running.addr());
    let _ = std::io::stdout().flush();
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    running.shutdown();
}
