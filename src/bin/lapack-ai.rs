//! `lapack-ai`: asks liblapack_ai.so what it does on this machine, in the
//! habit of `nvidia-smi` and `flexiblas list`.
//!
//! The command links nothing of the library's code: it opens the
//! liblapack_ai.so it was installed with (`dlopen`) and calls its C API, or
//! preloads it into a program, so that what it reports is what that
//! library does. Which library: `LAPACK_AI_LIBRARY` if set; else
//! `../lib/liblapack_ai.so` from the command's own folder (tools/install.sh
//! puts the command in PREFIX/bin and the library in PREFIX/lib); else the
//! `liblapack_ai.so` beside the command (target/release of a checkout).
//!
//! The library reads its configuration once per process, so `bench` runs
//! each backend in a child process: this command again, with the hidden
//! subcommand `bench-child` and `LAPACK_AI_MODE` set.

use std::ffi::{CStr, CString, OsString};
use std::io::Write as _;
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const LIBRARY_NAME: &str = "liblapack_ai.so";

const USAGE: &str = "\
usage:
  lapack-ai [info]                  what the library runs on: version, OpenCL devices
                                    (fp64, memory), the one chosen and why, the CPU
                                    library behind each routine, the cost model's
                                    rates and where they are cached
  lapack-ai run [--] PROGRAM [ARGS...]
                                    run PROGRAM with the library preloaded and print
                                    its profile at exit; exits with PROGRAM's status
  lapack-ai calibrate               measure the cost model's rates again and keep
                                    them (LAPACK_AI_RECALIBRATE=1)
  lapack-ai bench [--sizes N,N,...] [--routines R,R,...]
                                    time each routine at a few sizes on the CPU and
                                    on the GPU (LAPACK_AI_MODE=cpu, then gpu)
  lapack-ai --help | --version

The library: LAPACK_AI_LIBRARY if set, else ../lib/liblapack_ai.so from this
command's folder, else liblapack_ai.so beside it. The LAPACK_AI_* variables
apply as in any program (README, \"Configuration\"): LAPACK_AI_DEVICE=pocl
makes `info`, `calibrate` and `bench` use a CPU OpenCL device.
";

fn main() -> ExitCode {
    // Output into a closed pipe (`lapack-ai info | head -3`) ends the
    // command quietly, as it ends C programs, instead of a failed print.
    // SAFETY: sets the default disposition of one signal, before any
    // thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let first = args.first().map(|a| a.to_string_lossy().into_owned());
    let rest = args.get(1..).unwrap_or(&[]);
    let result = match first.as_deref() {
        // Without a command, as `nvidia-smi`: what it runs on.
        None => info(),
        Some("info") if rest.is_empty() => info(),
        Some("run") => run(rest),
        Some("calibrate") if rest.is_empty() => calibrate(),
        Some("bench") => bench(rest),
        Some("bench-child") => bench_child(rest),
        Some("--help" | "-h" | "help") => {
            print!("lapack-ai {VERSION}: ask liblapack_ai.so what it does on this machine\n\n{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some("--version" | "-V") => version(),
        Some(word @ ("info" | "calibrate")) => Err(Failure::Usage(format!("`{word}` takes no arguments"))),
        Some(word) => Err(Failure::Usage(format!("unknown command `{word}`"))),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Usage(why)) => {
            eprint!("lapack-ai: {why}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Message(why)) => {
            eprintln!("lapack-ai: {why}");
            ExitCode::FAILURE
        }
    }
}

/// Why a command did not do its work: a bad command line (usage, status
/// 2) or something else (the message, status 1).
enum Failure {
    Usage(String),
    Message(String),
}

impl From<String> for Failure {
    fn from(why: String) -> Failure {
        Failure::Message(why)
    }
}

type Outcome = Result<ExitCode, Failure>;

// ------------------------------------------------------------------ library

/// The library this command belongs to (see the module's text), as an
/// absolute path, or why there is none.
fn locate() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("LAPACK_AI_LIBRARY").filter(|p| !p.is_empty()) {
        // An explicit choice is the only candidate: a typo must not
        // quietly use another copy.
        let path = PathBuf::from(path);
        return std::fs::canonicalize(&path)
            .map_err(|e| format!("LAPACK_AI_LIBRARY={}: {e}", path.display()));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this command's own path ({e})"))?;
    let dir = exe.parent().unwrap_or(Path::new("/"));
    let candidates = [dir.join("../lib").join(LIBRARY_NAME), dir.join(LIBRARY_NAME)];
    for candidate in &candidates {
        if candidate.is_file() {
            return std::fs::canonicalize(candidate).map_err(|e| format!("{}: {e}", candidate.display()));
        }
    }
    Err(format!(
        "cannot find {LIBRARY_NAME} (looked for {} and {}); set LAPACK_AI_LIBRARY to its path",
        candidates[0].display(),
        candidates[1].display()
    ))
}

/// liblapack_ai.so, opened in this process. Never closed: the library's
/// exit handlers run at the process's exit.
struct Library {
    handle: *mut c_void,
    path: PathBuf,
}

impl Library {
    fn open() -> Result<Library, String> {
        let path = locate()?;
        let name = CString::new(path.as_os_str().as_bytes()).map_err(|_| format!("{}: a NUL in the path", path.display()))?;
        // SAFETY: `name` is a NUL-terminated path; dlopen runs the
        // library's initialisers, which set nothing up before its first
        // call.
        let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if handle.is_null() {
            return Err(format!("cannot load {}: {}", path.display(), dl_error()));
        }
        Ok(Library { handle, path })
    }

    /// The address of the exported function `name`.
    fn address(&self, name: &str) -> Result<*mut c_void, String> {
        let symbol = CString::new(name).map_err(|_| format!("bad symbol name {name:?}"))?;
        // SAFETY: `handle` came from dlopen and is never closed; `symbol`
        // is NUL-terminated.
        let address = unsafe { libc::dlsym(self.handle, symbol.as_ptr()) };
        if address.is_null() {
            Err(format!("{} does not export {name}: it is older than this command ({VERSION})", self.path.display()))
        } else {
            Ok(address)
        }
    }

    /// `const char *NAME(void)` of the library, as a string.
    fn text(&self, name: &str) -> Result<String, String> {
        let address = self.address(name)?;
        // SAFETY: the library's C API declares NAME as `const char
        // *NAME(void)` (include/lapack_ai.h); dlsym gave its address.
        let f: unsafe extern "C" fn() -> *const c_char = unsafe { std::mem::transmute(address) };
        // SAFETY: a function of the C API without arguments.
        let text = unsafe { f() };
        if text.is_null() {
            return Err(format!("{name}() returned NULL"));
        }
        // SAFETY: the C API returns NUL-terminated strings that stay valid
        // for the life of the process.
        Ok(unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
    }

    /// `lapack_ai_info()`.
    fn info(&self) -> Result<String, String> {
        self.text("lapack_ai_info")
    }

    /// The counters of `routine` (`lapack_ai_stats_json`).
    fn counters(&self, routine: &str) -> Result<Counters, String> {
        let address = self.address("lapack_ai_stats_json")?;
        // SAFETY: `size_t lapack_ai_stats_json(char *buf, size_t len)`
        // (include/lapack_ai.h).
        let f: unsafe extern "C" fn(*mut c_char, usize) -> usize = unsafe { std::mem::transmute(address) };
        let mut buf = vec![0u8; 8192];
        loop {
            // SAFETY: `buf` is valid for `buf.len()` bytes.
            let needed = unsafe { f(buf.as_mut_ptr().cast(), buf.len()) };
            if needed == 0 {
                return Err("lapack_ai_stats_json failed".into());
            }
            if needed < buf.len() {
                let json = String::from_utf8_lossy(&buf[..needed]).into_owned();
                return Counters::parse(&json, routine).ok_or_else(|| format!("no counters for {routine}"));
            }
            buf = vec![0u8; needed + 1024];
        }
    }
}

fn dl_error() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated message owned by the
    // loader, read at once (this command has one thread).
    let e = unsafe { libc::dlerror() };
    if e.is_null() {
        "unknown error".into()
    } else {
        // SAFETY: as above.
        unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
    }
}

/// The value of the `key: value` line `key` of the library's info text.
fn field<'a>(info: &'a str, key: &str) -> Option<&'a str> {
    info.lines().find_map(|l| l.strip_prefix(key).and_then(|rest| rest.strip_prefix(": ")))
}

// ------------------------------------------------------------ subcommands

fn version() -> Outcome {
    println!("lapack-ai {VERSION}");
    // The library's own version, where it can be found.
    if let Ok(lib) = Library::open() {
        if let Ok(v) = lib.text("lapack_ai_version") {
            println!("library: {} ({v})", lib.path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn info() -> Outcome {
    let lib = Library::open()?;
    print!("{}", lib.info()?);
    println!(
        "note: the cpu lines are those of a program without a LAPACK of its own; a program linked against \
         one (or a Python module that loaded one) runs its CPU calls on that one, unless LAPACK_AI_CPU_LIB names another"
    );
    Ok(ExitCode::SUCCESS)
}

fn calibrate() -> Outcome {
    // The library's semantics of LAPACK_AI_RECALIBRATE=1: what the
    // machine's cache entry holds is ignored, looked for and measured
    // again, and written back. Set before the library is loaded (it reads
    // its configuration once), while this process has one thread.
    std::env::set_var("LAPACK_AI_RECALIBRATE", "1");
    let lib = Library::open()?;
    let address = lib.address("lapack_ai_calibrate")?;
    // SAFETY: `int lapack_ai_calibrate(void)` (include/lapack_ai.h).
    let f: unsafe extern "C" fn() -> c_int = unsafe { std::mem::transmute(address) };
    let t0 = Instant::now();
    // SAFETY: a function of the C API without arguments.
    let status = unsafe { f() };
    let seconds = t0.elapsed().as_secs_f64();
    let info = lib.info()?;
    let device = field(&info, "device").unwrap_or("?");
    let rates = field(&info, "rates").unwrap_or("?");
    match status {
        0 => {
            println!("lapack-ai calibrate: {seconds:.3} s");
            println!("device: {device}");
            println!("rates: {rates}");
            for key in ["gpu set-up", "rates cache"] {
                if let Some(v) = field(&info, key) {
                    println!("{key}: {v}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        1 => Err(Failure::Message(format!(
            "nothing to measure: no usable OpenCL device, every call runs on the CPU\ndevice: {device}\n\
             device choice: {}",
            field(&info, "device choice").unwrap_or("?")
        ))),
        _ => Err(Failure::Message(format!("the calibration failed (status {status}); device: {device}"))),
    }
}

/// `run [--] PROGRAM [ARGS...]`.
fn run(args: &[OsString]) -> Outcome {
    let args = match args.first() {
        Some(a) if a == "--" => &args[1..],
        _ => args,
    };
    let Some((program, program_args)) = args.split_first() else {
        return Err(Failure::Usage("`run` needs a program to run".into()));
    };
    let lib = locate()?;
    let mut preload = OsString::from(lib.as_os_str());
    if let Some(old) = std::env::var_os("LD_PRELOAD").filter(|v| !v.is_empty()) {
        preload.push(":");
        preload.push(old);
    }
    let mut command = Command::new(program);
    command.args(program_args).env("LD_PRELOAD", &preload);
    // The profile: where the user asked for it, else into a folder of our
    // own (one file per process that routed a call: `%p`), printed once
    // the program has finished, after its own output.
    let collect = if std::env::var_os("LAPACK_AI_PROFILE").is_some_and(|v| !v.is_empty()) {
        None
    } else {
        match private_folder() {
            Ok(dir) => {
                command.env("LAPACK_AI_PROFILE", dir.join("profile-%p.txt"));
                Some(dir)
            }
            Err(e) => {
                eprintln!("lapack-ai: {e}; the profile goes to stderr");
                command.env("LAPACK_AI_PROFILE", "1");
                None
            }
        }
    };
    let spawned = command.spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            if let Some(dir) = &collect {
                let _ = std::fs::remove_dir_all(dir);
            }
            let status = if e.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
            eprintln!("lapack-ai: cannot run {}: {e}", program.to_string_lossy());
            return Ok(ExitCode::from(status));
        }
    };
    // Ctrl-C and Ctrl-\ reach the program (same process group); this
    // command waits for it, to print its profile and pass its status on.
    // SAFETY: SIG_IGN for two signals, set once the child runs (so that
    // it does not inherit it).
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
    }
    let status = child.wait().map_err(|e| format!("waiting for {}: {e}", program.to_string_lossy()))?;
    use std::os::unix::process::ExitStatusExt;
    if let Some(dir) = collect {
        let printed = print_profiles(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        match (printed, status.signal()) {
            (true, _) => {}
            (false, Some(signal)) => eprintln!(
                "lapack-ai: no profile: {} was killed by signal {signal} (the profile is written when a program exits)",
                program.to_string_lossy()
            ),
            (false, None) => eprintln!(
                "lapack-ai: {} made no call that {LIBRARY_NAME} routes (preloading does not reach a LAPACK linked \
                 statically, nor the OpenBLAS that NumPy's wheels carry: README, \"Python\")",
                program.to_string_lossy()
            ),
        }
    }
    let code = match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    };
    Ok(ExitCode::from(code.clamp(0, 255) as u8))
}

/// A new folder only this user can read, in the temporary directory.
fn private_folder() -> Result<PathBuf, String> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    for attempt in 0..100u32 {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = base.join(format!("lapack-ai-run.{}.{nanos:x}.{attempt}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create a folder in {} ({e})", base.display())),
        }
    }
    Err(format!("cannot create a folder in {}", base.display()))
}

/// Prints the profiles written into `dir` to stderr, oldest first; false
/// if there were none.
fn print_profiles(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| (e.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH), e.path()))
        .collect();
    files.sort();
    let mut stderr = std::io::stderr().lock();
    let mut any = false;
    for (_, path) in files {
        if let Ok(text) = std::fs::read(&path) {
            any |= !text.is_empty();
            let _ = stderr.write_all(&text);
        }
    }
    any
}

// ------------------------------------------------------------------ bench

/// The routines `bench` times, and their default.
const ROUTINES: [&str; 5] = ["dgemm_", "dgesv_", "dgetrf_", "dgesdd_", "dgesvd_"];
const DEFAULT_ROUTINES: [&str; 4] = ["dgemm_", "dgesv_", "dgetrf_", "dgesdd_"];
/// Default sizes; a routine stops growing once a call takes
/// [`BUDGET_S`] on the CPU (each size is up to 8x the work of the last).
const DEFAULT_SIZES: [usize; 5] = [256, 512, 1024, 2048, 4096];
const BUDGET_S: f64 = 0.25;

struct BenchOptions {
    sizes: Vec<usize>,
    routines: Vec<String>,
    /// Stop a routine once a call took this long (the default sizes only).
    budget: Option<f64>,
    /// For the GPU child: exactly these (routine, n).
    only: Vec<(String, usize)>,
}

fn bench_options(args: &[OsString]) -> Result<BenchOptions, Failure> {
    let mut o = BenchOptions {
        sizes: DEFAULT_SIZES.to_vec(),
        routines: DEFAULT_ROUTINES.iter().map(|s| s.to_string()).collect(),
        budget: Some(BUDGET_S),
        only: Vec::new(),
    };
    let mut it = args.iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next()).ok_or_else(|| Failure::Usage(format!("{flag} needs a value")));
        match flag.as_str() {
            "--sizes" => {
                let v = value()?;
                o.sizes = v
                    .split(',')
                    .map(|s| s.trim().parse::<usize>().ok().filter(|&n| (1..=65536).contains(&n)))
                    .collect::<Option<Vec<_>>>()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| Failure::Usage(format!("--sizes {v:?}: a list of sizes from 1 to 65536, as 256,1024")))?;
                o.budget = None;
            }
            "--routines" => {
                let v = value()?;
                let list: Vec<String> = v.split(',').map(|s| s.trim().to_lowercase()).map(|s| if s.ends_with('_') { s } else { s + "_" }).collect();
                if let Some(bad) = list.iter().find(|r| !ROUTINES.contains(&r.as_str())) {
                    return Err(Failure::Usage(format!("--routines: {bad} is not one of {}", ROUTINES.join(", "))));
                }
                o.routines = list;
            }
            "--only" => {
                o.budget = None;
                for item in value()?.split(',').filter(|s| !s.is_empty()) {
                    let (r, n) = item.split_once(':').ok_or_else(|| Failure::Usage(format!("--only {item:?}")))?;
                    o.only.push((r.to_string(), n.parse().map_err(|_| Failure::Usage(format!("--only {item:?}")))?));
                }
            }
            _ => return Err(Failure::Usage(format!("bench: unknown option {arg}"))),
        }
    }
    Ok(o)
}

/// One timed routine at one size, as a child reports it.
#[derive(Clone, Debug)]
struct Measure {
    routine: String,
    n: usize,
    seconds: f64,
    flops: f64,
    /// Calls of the routine that ran on the GPU, or fell back from it to
    /// the CPU, as the library counted them.
    gpu_calls: u64,
    fallbacks: u64,
    /// "ok", or what is wrong with the result.
    check: String,
}

/// What one child of `bench` found.
#[derive(Default)]
struct ChildReport {
    device: String,
    cpu: Vec<(String, String)>,
    setup_s: f64,
    measures: Vec<Measure>,
}

fn bench(args: &[OsString]) -> Outcome {
    let options = bench_options(args)?;
    let lib = locate()?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this command's own path ({e})"))?;
    // The children read the same options (and the GPU's, which sizes the
    // CPU's ran).
    let child = |mode: &str, extra: &[OsString]| -> Result<ChildReport, String> {
        let mut command = Command::new(&exe);
        command
            .arg("bench-child")
            .args(args)
            .args(extra)
            .env("LAPACK_AI_LIBRARY", &lib)
            .env("LAPACK_AI_MODE", mode)
            // Their own output would interleave with the table.
            .env_remove("LAPACK_AI_PROFILE")
            .env_remove("LAPACK_AI_MONITOR")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let out = command.output().map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!("the {mode} run failed ({})", out.status));
        }
        Ok(ChildReport::parse(&String::from_utf8_lossy(&out.stdout)))
    };
    let t0 = Instant::now();
    let cpu = child("cpu", &[])?;
    let gpu = if cpu.device.starts_with("none") {
        None
    } else {
        let only: Vec<String> = cpu.measures.iter().map(|m| format!("{}:{}", m.routine, m.n)).collect();
        Some(child("gpu", &["--only".into(), only.join(",").into()])?)
    };
    let elapsed = t0.elapsed().as_secs_f64();

    println!("lapack-ai bench: {} ({VERSION})", lib.display());
    for (routine, provider) in &cpu.cpu {
        if options.routines.contains(routine) {
            println!("cpu {routine}: {provider}");
        }
    }
    match &gpu {
        Some(g) => println!("gpu: {} (first calls, device start and kernel builds: {:.3} s)", g.device, g.setup_s),
        None => println!(
            "gpu: {}; CPU column only",
            cpu.device
        ),
    }
    println!("times: the best of up to 3 calls; GFLOP/s from the library's own flop counts");
    let mut wrong = false;
    if let Some(g) = &gpu {
        println!("{:<9} {:>6} {:>11} {:>9} {:>11} {:>9} {:>8}", "routine", "n", "cpu ms", "GFLOP/s", "gpu ms", "GFLOP/s", "cpu/gpu");
        for c in &cpu.measures {
            let g = g.measures.iter().find(|m| m.routine == c.routine && m.n == c.n);
            let (gms, grate, ratio, note) = match g {
                Some(g) => {
                    let note = if g.fallbacks > 0 {
                        " (fell back to the CPU)".to_string()
                    } else if g.gpu_calls == 0 {
                        " (ran on the CPU)".to_string()
                    } else {
                        String::new()
                    };
                    wrong |= g.check != "ok";
                    let note = if g.check == "ok" { note } else { format!("{note} GPU RESULT WRONG: {}", g.check) };
                    (format!("{:.3}", g.seconds * 1e3), rate(g), format!("{:.2}x", c.seconds / g.seconds), note)
                }
                None => ("-".into(), "-".into(), "-".into(), String::new()),
            };
            wrong |= c.check != "ok";
            let note = if c.check == "ok" { note } else { format!("{note} CPU RESULT WRONG: {}", c.check) };
            println!("{:<9} {:>6} {:>11.3} {:>9} {:>11} {:>9} {:>8}{note}", c.routine, c.n, c.seconds * 1e3, rate(c), gms, grate, ratio);
        }
        println!("cpu/gpu above 1: the GPU is faster");
    } else {
        println!("{:<9} {:>6} {:>11} {:>9}", "routine", "n", "cpu ms", "GFLOP/s");
        for c in &cpu.measures {
            wrong |= c.check != "ok";
            let note = if c.check == "ok" { String::new() } else { format!(" RESULT WRONG: {}", c.check) };
            println!("{:<9} {:>6} {:>11.3} {:>9}{note}", c.routine, c.n, c.seconds * 1e3, rate(c));
        }
    }
    println!("({elapsed:.1} s)");
    Ok(if wrong { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn rate(m: &Measure) -> String {
    if m.flops > 0.0 && m.seconds > 0.0 {
        format!("{:.2}", m.flops / m.seconds * 1e-9)
    } else {
        "-".into()
    }
}

impl ChildReport {
    /// Reads the lines `bench_child` prints (tab-separated).
    fn parse(text: &str) -> ChildReport {
        let mut r = ChildReport::default();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["device", d] => r.device = d.to_string(),
                ["cpu", routine, provider] => r.cpu.push((routine.to_string(), provider.to_string())),
                ["setup", s] => r.setup_s = s.parse().unwrap_or(0.0),
                ["result", routine, n, seconds, flops, gpu_calls, fallbacks, check] => r.measures.push(Measure {
                    routine: routine.to_string(),
                    n: n.parse().unwrap_or(0),
                    seconds: seconds.parse().unwrap_or(f64::NAN),
                    flops: flops.parse().unwrap_or(0.0),
                    gpu_calls: gpu_calls.parse().unwrap_or(0),
                    fallbacks: fallbacks.parse().unwrap_or(0),
                    check: check.to_string(),
                }),
                _ => {}
            }
        }
        r
    }
}

/// The hidden `bench-child`: times the routines in this process
/// (`LAPACK_AI_MODE` set by the parent) and prints one tab-separated line
/// per result for [`ChildReport::parse`].
fn bench_child(args: &[OsString]) -> Outcome {
    let options = bench_options(args)?;
    let lib = Library::open()?;
    let info = lib.info()?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "device\t{}", field(&info, "device").unwrap_or("none (unknown)"));
    for routine in &options.routines {
        if let Some(p) = field(&info, &format!("cpu {routine}")) {
            let _ = writeln!(out, "cpu\t{routine}\t{p}");
        }
    }
    let calls = Calls::bind(&lib)?;
    let mut setup_s = 0.0;
    for routine in &options.routines {
        let sizes: Vec<usize> = if options.only.is_empty() {
            options.sizes.clone()
        } else {
            options.only.iter().filter(|(r, _)| r == routine).map(|&(_, n)| n).collect()
        };
        let Some(&smallest) = sizes.iter().min() else { continue };
        // One untimed call first: a GPU starts and builds its kernels
        // there, a CPU library starts its threads.
        let t = Instant::now();
        let mut problem = Problem::new(routine, smallest.min(64), &calls);
        problem.call(&calls)?;
        setup_s += t.elapsed().as_secs_f64();
        for n in sizes {
            let mut problem = Problem::new(routine, n, &calls);
            let before = lib.counters(routine)?;
            let mut best = f64::INFINITY;
            let mut total = 0.0;
            let mut reps = 0;
            while reps < 3 && (reps == 0 || total < 0.3) {
                problem.reset();
                let t = Instant::now();
                problem.call(&calls)?;
                let s = t.elapsed().as_secs_f64();
                best = best.min(s);
                total += s;
                reps += 1;
            }
            let after = lib.counters(routine)?;
            let check = problem.check();
            let d = after.minus(&before);
            let flops = d.flops / reps as f64;
            let _ = writeln!(
                out,
                "result\t{routine}\t{n}\t{best:e}\t{flops:e}\t{}\t{}\t{check}",
                d.gpu_calls, d.fallbacks
            );
            let _ = out.flush();
            if options.budget.is_some_and(|b| best > b) {
                break;
            }
        }
    }
    let _ = writeln!(out, "setup\t{setup_s:e}");
    Ok(ExitCode::SUCCESS)
}

/// One routine's counters, from `lapack_ai_stats_json`.
#[derive(Clone, Copy, Default)]
struct Counters {
    gpu_calls: u64,
    fallbacks: u64,
    flops: f64,
}

impl Counters {
    /// The counters of `routine` in the JSON text (its object in
    /// `routines`, whose members are numbers).
    fn parse(json: &str, routine: &str) -> Option<Counters> {
        let start = json.find(&format!("\"routine\":\"{routine}\""))?;
        let object = &json[start..start + json[start..].find('}')?];
        let number = |key: &str| -> Option<f64> {
            let at = object.find(&format!("\"{key}\":"))? + key.len() + 3;
            let rest = &object[at..];
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            rest[..end].trim().parse().ok()
        };
        Some(Counters {
            gpu_calls: number("gpu_calls")? as u64,
            fallbacks: number("fallbacks")? as u64,
            flops: number("flops")?,
        })
    }

    fn minus(&self, before: &Counters) -> Counters {
        Counters {
            gpu_calls: self.gpu_calls - before.gpu_calls.min(self.gpu_calls),
            fallbacks: self.fallbacks - before.fallbacks.min(self.fallbacks),
            flops: self.flops - before.flops,
        }
    }
}

type Dgemm = unsafe extern "C" fn(
    *const c_char, *const c_char, *const c_int, *const c_int, *const c_int, *const f64, *const f64, *const c_int,
    *const f64, *const c_int, *const f64, *mut f64, *const c_int, usize, usize,
);
type Dgesv = unsafe extern "C" fn(*const c_int, *const c_int, *mut f64, *const c_int, *mut c_int, *mut f64, *const c_int, *mut c_int);
type Dgetrf = unsafe extern "C" fn(*const c_int, *const c_int, *mut f64, *const c_int, *mut c_int, *mut c_int);
type Dgesdd = unsafe extern "C" fn(
    *const c_char, *const c_int, *const c_int, *mut f64, *const c_int, *mut f64, *mut f64, *const c_int, *mut f64,
    *const c_int, *mut f64, *const c_int, *mut c_int, *mut c_int, usize,
);
type Dgesvd = unsafe extern "C" fn(
    *const c_char, *const c_char, *const c_int, *const c_int, *mut f64, *const c_int, *mut f64, *mut f64, *const c_int,
    *mut f64, *const c_int, *mut f64, *const c_int, *mut c_int, usize, usize,
);

/// The library's routines, as `bench` calls them (Fortran ABI: LP64
/// integers by reference, one hidden length per CHARACTER argument).
struct Calls {
    dgemm: Dgemm,
    dgesv: Dgesv,
    dgetrf: Dgetrf,
    dgesdd: Dgesdd,
    dgesvd: Dgesvd,
}

impl Calls {
    fn bind(lib: &Library) -> Result<Calls, String> {
        // SAFETY (each transmute): the exported routine of that name has
        // LAPACK's Fortran interface, as the type declares it
        // (include/lapack_ai.h).
        unsafe {
            Ok(Calls {
                dgemm: std::mem::transmute::<*mut c_void, Dgemm>(lib.address("dgemm_")?),
                dgesv: std::mem::transmute::<*mut c_void, Dgesv>(lib.address("dgesv_")?),
                dgetrf: std::mem::transmute::<*mut c_void, Dgetrf>(lib.address("dgetrf_")?),
                dgesdd: std::mem::transmute::<*mut c_void, Dgesdd>(lib.address("dgesdd_")?),
                dgesvd: std::mem::transmute::<*mut c_void, Dgesvd>(lib.address("dgesvd_")?),
            })
        }
    }
}

/// One routine's inputs at one size, its outputs, and a cheap check of
/// them (no O(n^3) work).
struct Problem {
    routine: String,
    n: usize,
    /// The input matrix (n x n, column-major), kept; `a` is the working copy.
    a0: Vec<f64>,
    a: Vec<f64>,
    /// DGEMM's B and C; DGESV's right-hand side (b0 kept, b the working
    /// copy); the SVD's S, U, VT; pivots; the workspace.
    b: Vec<f64>,
    b0: Vec<f64>,
    c: Vec<f64>,
    s: Vec<f64>,
    u: Vec<f64>,
    vt: Vec<f64>,
    ipiv: Vec<c_int>,
    work: Vec<f64>,
    iwork: Vec<c_int>,
    info: c_int,
}

/// A reproducible value in [-1, 1) for index `i` of stream `seed`.
fn value(seed: u64, i: usize) -> f64 {
    let mut x = (i as u64).wrapping_add(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

impl Problem {
    fn new(routine: &str, n: usize, calls: &Calls) -> Problem {
        let nn = n * n;
        let mut a0: Vec<f64> = (0..nn).map(|i| value(1, i)).collect();
        if routine == "dgesv_" || routine == "dgetrf_" {
            // Well conditioned: a strong diagonal.
            for i in 0..n {
                a0[i * n + i] += n as f64;
            }
        }
        let (b0, c) = match routine {
            "dgemm_" => ((0..nn).map(|i| value(2, i)).collect(), vec![0.0; nn]),
            "dgesv_" => ((0..n).map(|i| value(3, i)).collect(), Vec::new()),
            _ => (Vec::new(), Vec::new()),
        };
        let svd = routine == "dgesdd_" || routine == "dgesvd_";
        let mut p = Problem {
            routine: routine.to_string(),
            n,
            a: a0.clone(),
            a0,
            b: b0.clone(),
            b0,
            c,
            s: vec![0.0; if svd { n } else { 0 }],
            u: vec![0.0; if svd { nn } else { 0 }],
            vt: vec![0.0; if svd { nn } else { 0 }],
            ipiv: vec![0; n],
            work: Vec::new(),
            iwork: vec![0; if routine == "dgesdd_" { 8 * n } else { 0 }],
            info: 0,
        };
        if svd {
            // The workspace query.
            p.work = vec![0.0; 1];
            let lwork: c_int = -1;
            p.svd_call(calls, lwork);
            p.work = vec![0.0; (p.work[0] as usize).max(1)];
        }
        p
    }

    /// Restores the inputs the last call overwrote.
    fn reset(&mut self) {
        self.a.copy_from_slice(&self.a0);
        self.b.copy_from_slice(&self.b0);
    }

    fn call(&mut self, calls: &Calls) -> Result<(), String> {
        let n = self.n as c_int;
        let one: c_int = 1;
        self.info = 0;
        match self.routine.as_str() {
            // SAFETY: n x n matrices with leading dimension n; C is n x n;
            // hidden lengths 1.
            "dgemm_" => unsafe {
                (calls.dgemm)(
                    c"N".as_ptr(), c"N".as_ptr(), &n, &n, &n, &1.0, self.a.as_ptr(), &n, self.b.as_ptr(), &n, &0.0,
                    self.c.as_mut_ptr(), &n, 1, 1,
                )
            },
            // SAFETY: A n x n (lda n), IPIV n, B n x 1 (ldb n).
            "dgesv_" => unsafe {
                (calls.dgesv)(&n, &one, self.a.as_mut_ptr(), &n, self.ipiv.as_mut_ptr(), self.b.as_mut_ptr(), &n, &mut self.info)
            },
            // SAFETY: A n x n (lda n), IPIV n.
            "dgetrf_" => unsafe { (calls.dgetrf)(&n, &n, self.a.as_mut_ptr(), &n, self.ipiv.as_mut_ptr(), &mut self.info) },
            _ => self.svd_call(calls, self.work.len() as c_int),
        }
        if self.info != 0 {
            return Err(format!("{} n={} returned INFO = {}", self.routine, self.n, self.info));
        }
        Ok(())
    }

    /// DGESDD or DGESVD with JOBZ / JOBU = JOBVT = 'S' (`lwork` -1: the
    /// workspace query, into WORK(1)).
    fn svd_call(&mut self, calls: &Calls, lwork: c_int) {
        let n = self.n as c_int;
        if self.routine == "dgesdd_" {
            // SAFETY: A, U, VT n x n (leading dimension n), S n, WORK
            // `lwork` (or 1 for the query), IWORK 8n; hidden length 1.
            unsafe {
                (calls.dgesdd)(
                    c"S".as_ptr(), &n, &n, self.a.as_mut_ptr(), &n, self.s.as_mut_ptr(), self.u.as_mut_ptr(), &n,
                    self.vt.as_mut_ptr(), &n, self.work.as_mut_ptr(), &lwork, self.iwork.as_mut_ptr(), &mut self.info, 1,
                )
            }
        } else {
            // SAFETY: as above, without IWORK; hidden lengths 1.
            unsafe {
                (calls.dgesvd)(
                    c"S".as_ptr(), c"S".as_ptr(), &n, &n, self.a.as_mut_ptr(), &n, self.s.as_mut_ptr(), self.u.as_mut_ptr(),
                    &n, self.vt.as_mut_ptr(), &n, self.work.as_mut_ptr(), &lwork, &mut self.info, 1, 1,
                )
            }
        }
    }

    /// "ok", or what is wrong with the last call's outputs: residuals in
    /// units of n * eps * the norms involved.
    fn check(&self) -> String {
        let n = self.n;
        let eps = f64::EPSILON;
        let at = |m: &[f64], i: usize, j: usize| m[j * n + i];
        match self.routine.as_str() {
            "dgemm_" => {
                // Eight entries of C against their dot products.
                for t in 0..8 {
                    let (i, j) = ((t * 7919 + 3) % n, (t * 104_729 + 5) % n);
                    let (mut sum, mut size) = (0.0, 0.0);
                    for k in 0..n {
                        sum += at(&self.a0, i, k) * at(&self.b0, k, j);
                        size += (at(&self.a0, i, k) * at(&self.b0, k, j)).abs();
                    }
                    let error = (at(&self.c, i, j) - sum).abs() / (size * n as f64 * eps).max(f64::MIN_POSITIVE);
                    if error.is_nan() || error >= 16.0 {
                        return format!("C({},{}) off by {error:.1} n eps", i + 1, j + 1);
                    }
                }
                "ok".into()
            }
            "dgesv_" => residual(n, &self.a0, &self.b, &self.b0),
            "dgetrf_" => {
                // Solves A x = b with the factors, then the residual.
                let mut x: Vec<f64> = (0..n).map(|i| value(3, i)).collect();
                let b = x.clone();
                for (i, &p) in self.ipiv.iter().enumerate() {
                    let p = p as usize;
                    if !(1..=n).contains(&p) {
                        return format!("IPIV({}) = {p}", i + 1);
                    }
                    x.swap(i, p - 1);
                }
                for j in 0..n {
                    for i in j + 1..n {
                        x[i] -= at(&self.a, i, j) * x[j];
                    }
                }
                for j in (0..n).rev() {
                    x[j] /= at(&self.a, j, j);
                    for i in 0..j {
                        x[i] -= at(&self.a, i, j) * x[j];
                    }
                }
                residual(n, &self.a0, &x, &b)
            }
            _ => {
                // The singular values: non-negative, decreasing, and their
                // squares add up to ||A||_F^2.
                let frobenius: f64 = self.a0.iter().map(|x| x * x).sum();
                let squares: f64 = self.s.iter().map(|x| x * x).sum();
                if self.s.iter().any(|s| s.is_nan() || *s < 0.0) || self.s.windows(2).any(|w| w[1] > w[0]) {
                    return "the singular values are not non-negative and decreasing".into();
                }
                let error = (squares - frobenius).abs() / (frobenius * n as f64 * eps);
                if error.is_nan() || error >= 64.0 {
                    return format!("sum of s^2 off ||A||_F^2 by {error:.1} n eps");
                }
                "ok".into()
            }
        }
    }
}

/// "ok" if ||b - A x||_inf / (||A||_inf ||x||_inf n eps) is small.
fn residual(n: usize, a: &[f64], x: &[f64], b: &[f64]) -> String {
    let mut r = b.to_vec();
    let mut norm_a = vec![0.0f64; n];
    for j in 0..n {
        for i in 0..n {
            r[i] -= a[j * n + i] * x[j];
            norm_a[i] += a[j * n + i].abs();
        }
    }
    let norm_a = norm_a.iter().fold(0.0f64, |m, v| m.max(*v));
    let norm_x = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let norm_r = r.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scaled = norm_r / (norm_a * norm_x * n as f64 * f64::EPSILON);
    if scaled < 30.0 {
        "ok".into()
    } else {
        format!("residual {scaled:.1}")
    }
}

