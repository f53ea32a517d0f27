//! The library's configuration: read once, from documented environment
//! variables, into one struct. A bad value is reported once on stderr and
//! replaced by the default; it never stops the program. A `LAPACK_AI_*`
//! variable that nothing of the project reads (a misspelling) is reported
//! once too, with the nearest variable ([`VARIABLES`]). Switches take `1`,
//! `yes`, `true`, `on` and `0`, `no`, `false`, `off`. The table lists
//! the struct's variables; the others are read where they are used
//! (README.md's Configuration table lists them all), among them
//! `LAPACK_AI_CACHE_DIR`, where compiled kernels and measured rates are
//! kept (src/runtime/cache.rs says what that cache guarantees).
//!
//! | variable            | values                                  | default |
//! |---------------------|-----------------------------------------|---------|
//! | `LAPACK_AI_MODE`    | `auto`, `cpu`, `gpu`                    | `auto`  |
//! | `LAPACK_AI_DEVICE`  | OpenCL device index, or a substring of its device name, platform name or platform vendor (`pocl`, `h100`); a comma-separated list of those (`0,1`), or `all` (every GPU with fp64), for DGEMM on several devices | first GPU with fp64 |
//! | `LAPACK_AI_LOG`     | `stderr` (or `1`, `yes`, `true`, `on`), or a file path (appended to) | off |
//! | `LAPACK_AI_CPU_LIB` | path of a BLAS/LAPACK shared library, or `bundled` | next in process |
//! | `LAPACK_AI_PROFILE` | `1`, `yes`, `true`, `on` or `stderr` (stderr), or a file path (`%p`: the process id), for the profile at exit | off |
//! | `LAPACK_AI_MONITOR` | `127.0.0.1:PORT` (or `[::1]:PORT`, `localhost:PORT`, `PORT`): serve the live monitor | off |
//! | `LAPACK_AI_MONITOR_ALLOW_REMOTE` | `1`: let `LAPACK_AI_MONITOR` name a non-loopback address, and answer any `Host` | refused |

use once_cell::sync::Lazy;
use std::sync::atomic::{AtomicPtr, Ordering::{AcqRel, Acquire, Release}};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Where calls may go. `Gpu` forces every routine that has a GPU path onto
/// the GPU; routines without one still run on the CPU (and say so in the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Auto,
    Cpu,
    Gpu,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Cpu => "cpu",
            Mode::Gpu => "gpu",
        }
    }
}

/// Which OpenCL device `LAPACK_AI_DEVICE` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceSpec {
    /// The first GPU that has `cl_khr_fp64`.
    FirstFp64Gpu,
    /// The n-th device over all platforms, in platform order.
    Index(usize),
    /// The first device whose name, platform name or platform vendor contains this text
    /// (compared in lower case).
    Name(String),
    /// Every GPU with `cl_khr_fp64` (`all`).
    AllFp64Gpus,
    /// Several devices (`0,1`, `h100,1`): DGEMM spreads over them.
    List(Vec<DeviceSpec>),
}

/// The value of `LAPACK_AI_DEVICE` that gives this choice, for messages
/// (`LAPACK_AI_DEVICE=7`, `LAPACK_AI_DEVICE=0,pocl`); the default, which no
/// value names, reads "unset".
impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceSpec::FirstFp64Gpu => write!(f, "unset"),
            DeviceSpec::Index(i) => write!(f, "{i}"),
            DeviceSpec::Name(text) => write!(f, "{}", shown(text)),
            DeviceSpec::AllFp64Gpus => write!(f, "all"),
            DeviceSpec::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    write!(f, "{}{item}", if i > 0 { "," } else { "" })?;
                }
                Ok(())
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogTarget {
    Off,
    Stderr,
    File(PathBuf),
}

/// Where the profile goes at exit (`LAPACK_AI_PROFILE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileTarget {
    Off,
    Stderr,
    /// Appended to; `%p` in the name is replaced by the process id.
    File(PathBuf),
}

/// Which CPU LAPACK `LAPACK_AI_CPU_LIB` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CpuLibChoice {
    /// The next definition in the process, else the bundled reference.
    NextInProcess,
    /// This shared library, opened privately (`RTLD_LOCAL`).
    Path(PathBuf),
    /// The bundled netlib reference, whatever else the process has.
    Bundled,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub mode: Mode,
    pub device: DeviceSpec,
    pub log: LogTarget,
    pub cpu_lib: CpuLibChoice,
    pub profile: ProfileTarget,
    /// The address the monitor serves on (`LAPACK_AI_MONITOR`), already
    /// checked against `LAPACK_AI_MONITOR_ALLOW_REMOTE`.
    pub monitor: Option<SocketAddr>,
    /// `LAPACK_AI_MONITOR_ALLOW_REMOTE=1`: the monitor may listen on any
    /// address, and answers requests whatever their `Host`.
    pub monitor_allow_remote: bool,
    /// `LAPACK_AI_RATES`: the cost model's rates instead of measuring them
    /// (the text; src/dispatch/cost.rs parses it, and says if it cannot).
    pub rates: Option<String>,
    /// `LAPACK_AI_RECALIBRATE=1`: measure the rates again, forget what the
    /// cost model learned, and look for OpenCL devices again.
    pub recalibrate: bool,
    /// `LAPACK_AI_LEARN=0`: the cost model does not correct its predictions
    /// from measured times (src/dispatch/model.rs). Off by default when
    /// `LAPACK_AI_RATES` fixes the rates (`LAPACK_AI_LEARN=1` turns it on).
    pub learn: bool,
    /// The variables that decide which OpenCL devices the process would
    /// find, as `NAME=value` lines: part of the key under which the cost
    /// model remembers the machine (src/dispatch/model.rs).
    pub opencl_environment: String,
    /// Where the on-disk cache is (`LAPACK_AI_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/lapack-ai`, else `~/.cache/lapack-ai`), with the
    /// variable that chose it, for messages.
    pub cache_dir: Option<(PathBuf, &'static str)>,
    /// `LAPACK_AI_KERNEL=portable`: the portable DGEMM kernel on NVIDIA too.
    pub portable_kernel: bool,
    /// `OPENCL_DYLIB_PATH`, which the OpenCL bindings read themselves: kept
    /// for `lapack_ai_info`.
    pub opencl_dylib_path: Option<String>,
    /// `LAPACK_AI_SVD_PHASES=1`: the GPU SVD prints the time of each step.
    pub svd_phases: bool,
    /// DGEMM_ALPHA's settings (`LAPACK_AI_ALPHA_*`).
    pub alpha: AlphaSettings,
    /// `LAPACK_AI_TEST_STAGING=N` (a test hook): pinned staging buffers of N
    /// doubles (at least 64), so that small products take many tiles.
    pub test_staging: Option<usize>,
}

/// The variables read by OpenCL ICD loaders and drivers that change which
/// devices a process finds (or where the library looks for OpenCL).
const OPENCL_ENVIRONMENT: [&str; 11] = [
    "OPENCL_DYLIB_PATH",
    "OCL_ICD_VENDORS",
    "OCL_ICD_FILENAMES",
    "OPENCL_VENDOR_PATH",
    "CUDA_VISIBLE_DEVICES",
    "ROCR_VISIBLE_DEVICES",
    "HIP_VISIBLE_DEVICES",
    "GPU_DEVICE_ORDINAL",
    "ZE_AFFINITY_MASK",
    "POCL_DEVICES",
    "LD_LIBRARY_PATH",
];

/// DGEMM_ALPHA's settings (src/ops/alpha/mod.rs says what they do).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlphaSettings {
    /// `LAPACK_AI_ALPHA_SCHEME`: `dps48` or `strassen49`.
    pub scheme: Option<String>,
    /// `LAPACK_AI_ALPHA_LEVELS`: 0 to `ALPHA_MAX_LEVELS` (3).
    pub levels: Option<usize>,
    /// `LAPACK_AI_ALPHA_MIN_BLOCK`: the smallest block dimension of a level.
    pub min_block: Option<usize>,
    /// `LAPACK_AI_ALPHA_ADD_GBS`: the combination passes' rate, GB/s.
    pub add_gbs: Option<f64>,
}

/// The schemes `LAPACK_AI_ALPHA_SCHEME` may name.
pub const ALPHA_SCHEMES: [&str; 2] = ["dps48", "strassen49"];
/// The most levels DGEMM_ALPHA applies (4^3 = 64 blocks per side).
pub(crate) const ALPHA_MAX_LEVELS: usize = 3;

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Auto,
            device: DeviceSpec::FirstFp64Gpu,
            log: LogTarget::Off,
            cpu_lib: CpuLibChoice::NextInProcess,
            profile: ProfileTarget::Off,
            monitor: None,
            monitor_allow_remote: false,
            rates: None,
            recalibrate: false,
            learn: true,
            opencl_environment: String::new(),
            cache_dir: None,
            portable_kernel: false,
            opencl_dylib_path: None,
            svd_phases: false,
            alpha: AlphaSettings::default(),
            test_staging: None,
        }
    }
}

/// A variable whose value could not be used (or a variable this library
/// does not know), with the message for the user: a sentence that starts
/// `NAME=VALUE`, says what is wrong with it and what is done instead.
#[derive(Debug, PartialEq, Eq)]
pub struct BadValue {
    pub variable: String,
    pub message: String,
}

/// A value as messages show it: as it is, or quoted with Rust's escapes
/// when it is empty or holds blanks or control characters.
pub fn shown(value: &str) -> String {
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"') {
        format!("{value:?}")
    } else {
        value.to_string()
    }
}

/// A yes/no value: `1`, `yes`, `true`, `on` or `0`, `no`, `false`, `off`
/// (any case); `None` for anything else.
fn switch(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

impl Config {
    /// Parses the configuration from a lookup function (the environment in
    /// production, a map in tests). Returns the configuration and the
    /// problems found; each problem has been replaced by its default.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> (Config, Vec<BadValue>) {
        let mut config = Config::default();
        let mut bad = Vec::new();
        let non_empty = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut report = |variable: &str, value: &str, what: String| {
            bad.push(BadValue { variable: variable.to_string(), message: format!("{variable}={}{what}", shown(value)) });
        };

        if let Some(v) = non_empty("LAPACK_AI_MODE") {
            match v.to_ascii_lowercase().as_str() {
                "auto" => config.mode = Mode::Auto,
                "cpu" => config.mode = Mode::Cpu,
                "gpu" => config.mode = Mode::Gpu,
                _ => report("LAPACK_AI_MODE", &v, " is not auto, cpu or gpu; using auto".into()),
            }
        }
        if let Some(v) = non_empty("LAPACK_AI_DEVICE") {
            let one = |item: &str| -> Option<DeviceSpec> {
                if let Ok(i) = item.parse::<usize>() {
                    Some(DeviceSpec::Index(i))
                } else if item.is_empty() || item.starts_with('-') || item.starts_with('+') {
                    None
                } else {
                    Some(DeviceSpec::Name(item.to_lowercase()))
                }
            };
            let parsed = if v.eq_ignore_ascii_case("all") {
                Some(DeviceSpec::AllFp64Gpus)
            } else if v.contains(',') {
                v.split(',').map(|item| one(item.trim())).collect::<Option<Vec<_>>>().map(DeviceSpec::List)
            } else {
                one(&v)
            };
            config.device = parsed.unwrap_or_else(|| {
                report(
                    "LAPACK_AI_DEVICE",
                    &v,
                    " is not a device index (0, 1, ...), a part of a device's name, a comma-separated list of \
                     those, or all; using the first GPU with fp64"
                        .into(),
                );
                DeviceSpec::FirstFp64Gpu
            });
        }
        if let Some(v) = non_empty("LAPACK_AI_LOG") {
            config.log = match (v.as_str(), switch(&v)) {
                (_, Some(true)) => LogTarget::Stderr,
                (_, Some(false)) => LogTarget::Off,
                (s, None) if s.eq_ignore_ascii_case("stderr") => LogTarget::Stderr,
                (path, None) => LogTarget::File(PathBuf::from(path)),
            };
        }
        if let Some(v) = non_empty("LAPACK_AI_CPU_LIB") {
            config.cpu_lib = if v == "bundled" {
                CpuLibChoice::Bundled
            } else {
                CpuLibChoice::Path(PathBuf::from(v))
            };
        }
        if let Some(v) = non_empty("LAPACK_AI_PROFILE") {
            config.profile = match (v.as_str(), switch(&v)) {
                (_, Some(true)) => ProfileTarget::Stderr,
                (_, Some(false)) => ProfileTarget::Off,
                (s, None) if s.eq_ignore_ascii_case("stderr") => ProfileTarget::Stderr,
                (path, None) => ProfileTarget::File(PathBuf::from(path)),
            };
        }
        let mut flag = |variable: &str, instead: &str| -> Option<bool> {
            let v = non_empty(variable)?;
            let on = switch(&v);
            if on.is_none() {
                report(variable, &v, format!(" is not 1 or 0; {instead}"));
            }
            on
        };
        let allow_remote =
            flag("LAPACK_AI_MONITOR_ALLOW_REMOTE", "the monitor listens on loopback addresses only").unwrap_or(false);
        config.recalibrate = flag("LAPACK_AI_RECALIBRATE", "not recalibrating").unwrap_or(false);
        config.svd_phases = flag("LAPACK_AI_SVD_PHASES", "not timing the SVD's steps").unwrap_or(false);
        config.rates = non_empty("LAPACK_AI_RATES");
        let learn_default = config.rates.is_none();
        config.learn = flag(
            "LAPACK_AI_LEARN",
            if learn_default { "learning (the default)" } else { "not learning (the default with LAPACK_AI_RATES)" },
        )
        .unwrap_or(learn_default);
        config.monitor_allow_remote = allow_remote;
        if let Some(v) = non_empty("LAPACK_AI_MONITOR") {
            match parse_address(&v) {
                Err(why) => report("LAPACK_AI_MONITOR", &v, format!(": {why}; running without the monitor")),
                Ok(addr) if !addr.ip().is_loopback() && !allow_remote => report(
                    "LAPACK_AI_MONITOR",
                    &v,
                    " is not a loopback address, so other machines could read the monitor; set \
                     LAPACK_AI_MONITOR_ALLOW_REMOTE=1 to allow that; running without the monitor"
                        .into(),
                ),
                Ok(addr) => config.monitor = Some(addr),
            }
        }
        config.opencl_environment = OPENCL_ENVIRONMENT
            .iter()
            .filter_map(|name| get(name).map(|v| format!("{name}={v}\n")))
            .collect();
        config.cache_dir = cache_dir(|name| get(name));
        if let Some(v) = non_empty("LAPACK_AI_KERNEL") {
            if v.eq_ignore_ascii_case("portable") {
                config.portable_kernel = true;
            } else {
                report("LAPACK_AI_KERNEL", &v, " is not portable; using the device's best kernel".into());
            }
        }
        config.opencl_dylib_path = non_empty("OPENCL_DYLIB_PATH");
        if let Some(v) = &config.opencl_dylib_path {
            // The bindings open the first entry that loads, else
            // libOpenCL.so.1, and say nothing of the others.
            for entry in v.split(';').map(str::trim).filter(|e| e.contains('/')) {
                if !std::path::Path::new(entry).exists() {
                    report(
                        "OPENCL_DYLIB_PATH",
                        v,
                        format!(
                            ": {} does not exist; OpenCL is loaded from the next entry of the list, or from \
                             libOpenCL.so.1",
                            shown(entry)
                        ),
                    );
                }
            }
        }
        let mut number = |variable: &str, min: usize, max: usize, what: &str, instead: &str| -> Option<usize> {
            let v = non_empty(variable)?;
            match v.parse::<usize>() {
                Ok(x) if (min..=max).contains(&x) => Some(x),
                _ => {
                    report(variable, &v, format!(" is not {what}; {instead}"));
                    None
                }
            }
        };
        config.test_staging = number(
            "LAPACK_AI_TEST_STAGING",
            64,
            usize::MAX,
            "a number of doubles of at least 64",
            "using staging buffers of the usual size",
        );
        config.alpha.levels =
            number("LAPACK_AI_ALPHA_LEVELS", 0, ALPHA_MAX_LEVELS, "a number from 0 to 3", "the cost model picks the levels");
        config.alpha.min_block = number(
            "LAPACK_AI_ALPHA_MIN_BLOCK",
            1,
            usize::MAX,
            "a positive integer",
            "using 4096 on the GPU and 512 on the CPU",
        );
        if let Some(v) = non_empty("LAPACK_AI_ALPHA_SCHEME") {
            if ALPHA_SCHEMES.contains(&v.as_str()) {
                config.alpha.scheme = Some(v);
            } else {
                report("LAPACK_AI_ALPHA_SCHEME", &v, " is not dps48 or strassen49; the cost model picks the scheme".into());
            }
        }
        if let Some(v) = non_empty("LAPACK_AI_ALPHA_ADD_GBS") {
            match v.parse::<f64>() {
                Ok(x) if x > 0.0 && x.is_finite() => config.alpha.add_gbs = Some(x),
                _ => report("LAPACK_AI_ALPHA_ADD_GBS", &v, " is not a positive number of GB/s; measuring the rate instead".into()),
            }
        }
        (config, bad)
    }
}

/// The test hooks (README, "Configuration"): read from the environment at
/// first use like the rest, but apart from [`Config`], because the test
/// suite changes them between calls of one process ([`set_hooks`]). Read
/// without a lock ([`hooks`]), and only on GPU paths (and by DGEMM_ALPHA's
/// host allocations).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hooks {
    /// `LAPACK_AI_FAULT_INJECT`: failures to inject (src/engine/opencl/fault.rs).
    pub faults: Vec<(String, FaultKind)>,
    /// `LAPACK_AI_TEST_DEVICE_DOUBLES=N`: plan GPU products as if the device
    /// held N doubles (out of core on small products).
    pub device_doubles: Option<usize>,
    /// `LAPACK_AI_TEST_SVD_BLOCKS=nb,nx,nbapply`: the GPU SVD's block sizes,
    /// small enough that every GPU step runs on small matrices (and every
    /// product of DBDSDC's merges goes to the GPU).
    pub svd_blocks: Option<(usize, usize, usize)>,
    /// The GPU LU's measurement hooks: `LAPACK_AI_LU_LEAF` (panel width),
    /// `LAPACK_AI_LU_PANEL_ROWS` (panels up to this many rows in one
    /// work-group), `LAPACK_AI_LU_FUSED=0`, `LAPACK_AI_LU_STREAM=0`.
    pub lu_leaf: Option<usize>,
    pub lu_panel_rows: Option<usize>,
    pub lu_fused: bool,
    pub lu_stream: bool,
    /// `LAPACK_AI_TEST_TRSM_BLOCK=N`: the GPU DTRSM's diagonal blocks of at
    /// most N rows (src/ops/blas3/gpu.rs), so that its recursion runs on
    /// the test suites' small matrices.
    pub trsm_block: Option<usize>,
}

/// What a `LAPACK_AI_FAULT_INJECT` item asks of its site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Fail (an error) after this many steps: `SITE`, `SITE@N`.
    Fail(usize),
    /// Panic after this many steps: `panic-SITE`, `panic-SITE@N`.
    Panic(usize),
    /// Every host allocation of the site fails: `alloc-SITE`.
    Alloc,
}

impl Hooks {
    /// The hooks from a lookup function (the environment).
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Hooks {
        let number = |name: &str| get(name).and_then(|v| v.trim().parse::<usize>().ok());
        let svd_blocks = get("LAPACK_AI_TEST_SVD_BLOCKS").and_then(|v| {
            let p: Vec<usize> = v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            (p.len() == 3 && p[0] >= 1 && p[2] >= 1).then(|| (p[0], p[1], p[2]))
        });
        Hooks {
            faults: get("LAPACK_AI_FAULT_INJECT").map(|v| parse_faults(&v)).unwrap_or_default(),
            device_doubles: number("LAPACK_AI_TEST_DEVICE_DOUBLES"),
            svd_blocks,
            lu_leaf: number("LAPACK_AI_LU_LEAF").filter(|b| (1..=256).contains(b)),
            lu_panel_rows: number("LAPACK_AI_LU_PANEL_ROWS"),
            lu_fused: number("LAPACK_AI_LU_FUSED") != Some(0),
            lu_stream: get("LAPACK_AI_LU_STREAM").as_deref() != Some("0"),
            trsm_block: number("LAPACK_AI_TEST_TRSM_BLOCK").filter(|&b| b >= 1),
        }
    }

    /// The failure asked of `site` (the first item naming it), if any.
    pub fn fault_at(&self, site: &str) -> Option<FaultKind> {
        self.faults.iter().find(|(s, k)| s == site && *k != FaultKind::Alloc).map(|(_, k)| *k)
    }

    /// Whether the host allocations of `site` are to fail.
    pub fn alloc_fails(&self, site: &str) -> bool {
        self.faults.iter().any(|(s, k)| s == site && *k == FaultKind::Alloc)
    }
}

/// The items of `LAPACK_AI_FAULT_INJECT` (those that do not parse are left
/// out).
pub fn parse_faults(list: &str) -> Vec<(String, FaultKind)> {
    list.split(',')
        .filter_map(|item| {
            let item = item.trim();
            if let Some(site) = item.strip_prefix("alloc-") {
                return Some((site.to_string(), FaultKind::Alloc));
            }
            let (panic, rest) = match item.strip_prefix("panic-") {
                Some(rest) => (true, rest),
                None => (false, item),
            };
            let (name, after) = match rest.split_once('@') {
                Some((name, n)) => (name, n.parse().ok()?),
                None => (rest, 0),
            };
            (!name.is_empty()).then(|| (name.to_string(), if panic { FaultKind::Panic(after) } else { FaultKind::Fail(after) }))
        })
        .collect()
}

/// The current hooks: a pointer, set once from the environment and
/// replaced by [`set_hooks`] (the old value is left allocated: tests
/// replace it a few times).
static HOOKS: AtomicPtr<Hooks> = AtomicPtr::new(std::ptr::null_mut());

/// The test hooks now in force.
pub fn hooks() -> &'static Hooks {
    let p = HOOKS.load(Acquire);
    if !p.is_null() {
        // SAFETY: a non-null pointer is a leaked Box, never freed.
        return unsafe { &*p };
    }
    let fresh = Box::into_raw(Box::new(Hooks::parse(|name| std::env::var(name).ok())));
    match HOOKS.compare_exchange(std::ptr::null_mut(), fresh, AcqRel, Acquire) {
        // SAFETY: just leaked, never freed.
        Ok(_) => unsafe { &*fresh },
        Err(other) => {
            // SAFETY: another thread's value won; ours was never shared.
            drop(unsafe { Box::from_raw(fresh) });
            // SAFETY: as above.
            unsafe { &*other }
        }
    }
}

/// Changes the test hooks (for the Rust tests, which run many cases in one
/// process; the environment sets them for a whole process).
#[doc(hidden)]
pub fn set_hooks(change: impl FnOnce(&mut Hooks)) {
    let mut next = hooks().clone();
    change(&mut next);
    HOOKS.store(Box::into_raw(Box::new(next)), Release);
}

/// Where the on-disk cache is: `LAPACK_AI_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/lapack-ai`, else `~/.cache/lapack-ai`; with what chose
/// it, for messages. `None` without any of these variables.
fn cache_dir(var: impl Fn(&str) -> Option<String>) -> Option<(PathBuf, &'static str)> {
    if let Some(dir) = var("LAPACK_AI_CACHE_DIR") {
        return Some((PathBuf::from(dir), "LAPACK_AI_CACHE_DIR"));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Some((PathBuf::from(dir).join("lapack-ai"), "$XDG_CACHE_HOME/lapack-ai"));
    }
    var("HOME").map(|home| (PathBuf::from(home).join(".cache/lapack-ai"), "~/.cache/lapack-ai"))
}

/// Parses `LAPACK_AI_MONITOR`: `IP:PORT`, `[IPv6]:PORT`, `localhost:PORT`
/// or `PORT` alone (on 127.0.0.1). Host names other than localhost are not
/// looked up: say which address to listen on. The error is a clause for
/// the message (`the port 99999 is out of range ...`).
pub fn parse_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    // The port: all of the text, or what follows its last colon.
    let port_text = text.rsplit_once(':').map_or(text, |(_, port)| port);
    let digits = port_text.strip_prefix('-').unwrap_or(port_text);
    let port = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        Some(port_text.parse::<u16>().map_err(|_| {
            format!("the port {port_text} is out of range (1 to 65535, or 0 for any free port)")
        })?)
    } else {
        None
    };
    let form = "not an address of the form 127.0.0.1:PORT, [::1]:PORT, localhost:PORT or PORT \
                (host names other than localhost are not looked up)";
    match port {
        Some(port) if port_text.len() == text.len() => Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)),
        Some(port) if text.eq_ignore_ascii_case(&format!("localhost:{port_text}")) => {
            Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
        }
        Some(_) => text.parse::<SocketAddr>().map_err(|_| form.to_string()),
        None if port_text.is_empty() || !text.contains(':') || (text.starts_with('[') && text.ends_with(']')) => {
            Err(format!("{form}; the port is missing"))
        }
        None => Err(format!("{form}; {} is not a port number", shown(port_text))),
    }
}

/// Every `LAPACK_AI_*` variable the library reads: README.md's
/// Configuration table, the test hooks and the measurement hooks. A
/// misspelt variable gets the nearest of these as a suggestion. A new
/// variable goes here (the test `every_variable_of_the_project_is_known`
/// checks the sources for names missing here).
pub const VARIABLES: [&str; 26] = [
    "LAPACK_AI_MODE",
    "LAPACK_AI_DEVICE",
    "LAPACK_AI_LOG",
    "LAPACK_AI_CPU_LIB",
    "LAPACK_AI_RATES",
    "LAPACK_AI_RECALIBRATE",
    "LAPACK_AI_LEARN",
    "LAPACK_AI_CACHE_DIR",
    "LAPACK_AI_KERNEL",
    "LAPACK_AI_ALPHA_SCHEME",
    "LAPACK_AI_ALPHA_LEVELS",
    "LAPACK_AI_ALPHA_MIN_BLOCK",
    "LAPACK_AI_ALPHA_ADD_GBS",
    "LAPACK_AI_PROFILE",
    "LAPACK_AI_MONITOR",
    "LAPACK_AI_MONITOR_ALLOW_REMOTE",
    "LAPACK_AI_SVD_PHASES",
    "LAPACK_AI_FAULT_INJECT",
    "LAPACK_AI_TEST_STAGING",
    "LAPACK_AI_TEST_DEVICE_DOUBLES",
    "LAPACK_AI_TEST_SVD_BLOCKS",
    "LAPACK_AI_LU_LEAF",
    "LAPACK_AI_LU_PANEL_ROWS",
    "LAPACK_AI_LU_FUSED",
    "LAPACK_AI_LU_STREAM",
    "LAPACK_AI_TEST_TRSM_BLOCK",
];

/// `LAPACK_AI_*` variables read by the project's other programs, which may
/// be set in the environment of a process that loads the library: never
/// warned about, never suggested.
pub const OTHER_PROGRAMS_VARIABLES: [&str; 18] = [
    // The Python package (python/lapack_ai/_clib.py).
    "LAPACK_AI_LIBRARY",
    // The Rust tests and the build script.
    "LAPACK_AI_TEST_OPENCL",
    "LAPACK_AI_TEST_SEED",
    "LAPACK_AI_TEST_MULTI_DEVICES",
    "LAPACK_AI_TEST_LU_SIZES",
    "LAPACK_AI_BLESS",
    "LAPACK_AI_NETLIB_SOURCE",
    // The test and benchmark scripts.
    "LAPACK_AI_FULL_GPU_SUITES",
    "LAPACK_AI_ILP64_LIB",
    "LAPACK_AI_VENV",
    "LAPACK_AI_BENCH_DIR",
    // bench/cl_dgemm_harness.c.
    "LAPACK_AI_SEED",
    "LAPACK_AI_REPS",
    "LAPACK_AI_GUARD",
    "LAPACK_AI_TRANS",
    "LAPACK_AI_DUMP_BIN",
    "LAPACK_AI_CL_OPTS",
    "LAPACK_AI_BUILD_LOG",
];

/// The edit distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of neighbours, each 1).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Three rows of the table: two back, one back, this one.
    let mut rows = vec![vec![0usize; b.len() + 1]; 3];
    rows[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let (r, p, pp) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[r][0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[p][j] + 1).min(rows[r][j - 1] + 1).min(rows[p][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[pp][j - 2] + 1);
            }
            rows[r][j] = d;
        }
    }
    rows[a.len() % 3][b.len()]
}

/// The variables among `names` (the environment's) that look like this
/// library's (`LAPACK_AI_` in any case) but that no program of the project
/// reads: one message each, with the nearest variable the library reads.
pub fn unknown_variables(names: impl IntoIterator<Item = String>) -> Vec<BadValue> {
    let mut bad = Vec::new();
    for name in names {
        let upper = name.to_ascii_uppercase();
        let known = |n: &str| VARIABLES.contains(&n) || OTHER_PROGRAMS_VARIABLES.contains(&n);
        if !upper.starts_with("LAPACK_AI_") || known(&name) {
            continue;
        }
        let message = if known(&upper) {
            format!("{name} is ignored: variable names are upper case ({upper})")
        } else {
            // A name cut short is as near as one letter off.
            let given = &upper["LAPACK_AI_".len()..];
            let (distance, nearest) = VARIABLES
                .iter()
                .map(|v| {
                    let known = &v["LAPACK_AI_".len()..];
                    let cut = if given.len() >= 3 && known.starts_with(given) { 1 } else { usize::MAX };
                    (edit_distance(given, known).min(cut), *v)
                })
                .min()
                .unwrap_or((usize::MAX, "LAPACK_AI_MODE"));
            if distance <= 3 {
                format!("{name} is not a variable of lapack-ai, and is ignored; did you mean {nearest}?")
            } else {
                format!(
                    "{name} is not a variable of lapack-ai, and is ignored (the nearest is {nearest}; README.md, \
                     \"Configuration\", lists them)"
                )
            }
        };
        bad.push(BadValue { variable: name, message });
    }
    bad
}

/// The process's configuration, read from the environment at first use.
/// Problems are printed once, here: bad values, then unknown variables.
pub static CONFIG: Lazy<Config> = Lazy::new(|| {
    // A value that is not UTF-8 is read with its bad bytes replaced.
    let (config, bad) = Config::parse(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()));
    let names = std::env::vars_os().map(|(name, _)| name.to_string_lossy().into_owned());
    for b in bad.into_iter().chain(unknown_variables(names)) {
        super::warn::warn(&b.message);
    }
    config
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_location_keeps_its_order() {
        let all = [("LAPACK_AI_CACHE_DIR", "/c"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")];
        let dir = |pairs: &[(&str, &str)]| parse(pairs).0.cache_dir;
        assert_eq!(dir(&all), Some((PathBuf::from("/c"), "LAPACK_AI_CACHE_DIR")));
        assert_eq!(dir(&all[1..]), Some((PathBuf::from("/x/lapack-ai"), "$XDG_CACHE_HOME/lapack-ai")));
        assert_eq!(dir(&all[2..]), Some((PathBuf::from("/h/.cache/lapack-ai"), "~/.cache/lapack-ai")));
        assert_eq!(dir(&[]), None);
    }

    #[test]
    fn fault_items_parse() {
        let f = |v: &str| Hooks::parse(|k| (k == "LAPACK_AI_FAULT_INJECT").then(|| v.to_string()));
        assert_eq!(f("dgemm").fault_at("dgemm"), Some(FaultKind::Fail(0)));
        assert_eq!(f("lu, dgemm@3").fault_at("dgemm"), Some(FaultKind::Fail(3)));
        assert_eq!(f("panic-svd").fault_at("svd"), Some(FaultKind::Panic(0)));
        assert_eq!(f("panic-dgemm@2").fault_at("dgemm"), Some(FaultKind::Panic(2)));
        assert_eq!(f("alloc-svd,lu").fault_at("svd"), None);
        assert!(f("alloc-svd,lu").alloc_fails("svd") && !f("svd").alloc_fails("svd"));
        assert_eq!(f("dgemm@x").fault_at("dgemm"), None);
        assert_eq!(f("").fault_at("lu"), None);
        let h = Hooks::parse(|k| match k {
            "LAPACK_AI_TEST_SVD_BLOCKS" => Some("8,0,5".into()),
            "LAPACK_AI_LU_FUSED" => Some("0".into()),
            "LAPACK_AI_LU_LEAF" => Some("999".into()),
            _ => None,
        });
        assert_eq!((h.svd_blocks, h.lu_fused, h.lu_leaf, h.lu_stream), (Some((8, 0, 5)), false, None, true));
    }

    #[test]
    fn addresses() {
        let lo = |p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p);
        assert_eq!(parse_address("9100"), Ok(lo(9100)));
        assert_eq!(parse_address("localhost:0"), Ok(lo(0)));
        assert_eq!(parse_address(" 127.0.0.1:8080 "), Ok(lo(8080)));
        assert_eq!(parse_address("[::1]:9"), Ok("[::1]:9".parse().unwrap()));
        assert_eq!(parse_address("LocalHost:7"), Ok(lo(7)));
        for bad in ["", "host:80", "127.0.0.1", "localhost:x", "127.0.0.1:70000", "[::1]", "-1"] {
            assert!(parse_address(bad).is_err(), "{bad:?}");
        }
        let range = "the port 70000 is out of range (1 to 65535, or 0 for any free port)";
        assert_eq!(parse_address("127.0.0.1:70000").unwrap_err(), range);
        assert_eq!(parse_address("localhost:70000").unwrap_err(), range);
        assert_eq!(parse_address("70000").unwrap_err(), range);
        assert!(parse_address("127.0.0.1").unwrap_err().ends_with("; the port is missing"));
        assert!(parse_address("localhost:x").unwrap_err().ends_with("; x is not a port number"));
        assert!(parse_address("example.org:80").unwrap_err().starts_with("not an address of the form 127.0.0.1:PORT"));
    }
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> (Config, Vec<BadValue>) {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::parse(|k| map.get(k).cloned())
    }

    #[test]
    fn empty_environment_gives_defaults() {
        let (c, bad) = parse(&[]);
        assert_eq!(c, Config::default());
        assert!(bad.is_empty());
    }

    #[test]
    fn every_documented_value_parses() {
        let (c, bad) = parse(&[
            ("LAPACK_AI_MODE", "GPU"),
            ("LAPACK_AI_DEVICE", "PoCL"),
            ("LAPACK_AI_LOG", "/tmp/x.log"),
            ("LAPACK_AI_CPU_LIB", "/usr/lib/libopenblas.so.0"),
        ]);
        assert!(bad.is_empty());
        assert_eq!(c.mode, Mode::Gpu);
        assert_eq!(c.device, DeviceSpec::Name("pocl".into()));
        assert_eq!(c.log, LogTarget::File("/tmp/x.log".into()));
        assert_eq!(c.cpu_lib, CpuLibChoice::Path("/usr/lib/libopenblas.so.0".into()));

        let (c, _) = parse(&[("LAPACK_AI_MODE", "cpu"), ("LAPACK_AI_DEVICE", "1"), ("LAPACK_AI_LOG", "stderr")]);
        assert_eq!((c.mode, c.device, c.log), (Mode::Cpu, DeviceSpec::Index(1), LogTarget::Stderr));
        let (c, _) = parse(&[("LAPACK_AI_CPU_LIB", "bundled")]);
        assert_eq!(c.cpu_lib, CpuLibChoice::Bundled);
    }

    #[test]
    fn profile_and_monitor() {
        let (c, bad) = parse(&[("LAPACK_AI_PROFILE", "1"), ("LAPACK_AI_MONITOR", "127.0.0.1:9100")]);
        assert!(bad.is_empty());
        assert_eq!(c.profile, ProfileTarget::Stderr);
        assert_eq!(c.monitor, Some("127.0.0.1:9100".parse().unwrap()));
        assert!(!c.monitor_allow_remote);
        let (c, _) = parse(&[("LAPACK_AI_PROFILE", "/tmp/p-%p.txt"), ("LAPACK_AI_MONITOR", "9100")]);
        assert_eq!(c.profile, ProfileTarget::File("/tmp/p-%p.txt".into()));
        assert_eq!(c.monitor, Some("127.0.0.1:9100".parse().unwrap()));
        for remote in ["0.0.0.0:9100", "192.0.2.7:80", "[::]:9100"] {
            let (c, bad) = parse(&[("LAPACK_AI_MONITOR", remote)]);
            assert_eq!(c.monitor, None, "{remote}");
            assert!(bad[0].message.contains("LAPACK_AI_MONITOR_ALLOW_REMOTE=1"), "{}", bad[0].message);
            let (c, bad) = parse(&[("LAPACK_AI_MONITOR", remote), ("LAPACK_AI_MONITOR_ALLOW_REMOTE", "1")]);
            assert_eq!(c.monitor, Some(remote.parse().unwrap()));
            assert!(c.monitor_allow_remote);
            assert!(bad.is_empty());
        }
        let (c, bad) = parse(&[("LAPACK_AI_MONITOR", "example.org:80")]);
        assert_eq!((c.monitor, bad.len()), (None, 1));
    }

    #[test]
    fn bad_values_are_reported_and_defaulted() {
        let (c, _) = parse(&[("LAPACK_AI_DEVICE", "0, PoCL")]);
        assert_eq!(c.device, DeviceSpec::List(vec![DeviceSpec::Index(0), DeviceSpec::Name("pocl".into())]));
        let (c, _) = parse(&[("LAPACK_AI_DEVICE", "ALL")]);
        assert_eq!(c.device, DeviceSpec::AllFp64Gpus);
        let (c, bad) = parse(&[("LAPACK_AI_DEVICE", "0,,1")]);
        assert_eq!((c.device, bad.len()), (DeviceSpec::FirstFp64Gpu, 1));
        let (c, bad) = parse(&[("LAPACK_AI_MODE", "fast"), ("LAPACK_AI_DEVICE", "-3")]);
        assert_eq!(c.mode, Mode::Auto);
        assert_eq!(c.device, DeviceSpec::FirstFp64Gpu);
        assert_eq!(bad.len(), 2);
        assert!(bad[0].message.contains("=fast "), "{}", bad[0].message);
        assert_eq!(bad[1].variable, "LAPACK_AI_DEVICE");
    }

    #[test]
    fn bad_values_are_plain_sentences() {
        let message = |name: &str, value: &str| {
            let (_, bad) = parse(&[(name, value)]);
            assert_eq!(bad.len(), 1, "{name}={value}: {bad:?}");
            assert_eq!(bad[0].variable, name);
            bad[0].message.clone()
        };
        assert_eq!(message("LAPACK_AI_MODE", "fast"), "LAPACK_AI_MODE=fast is not auto, cpu or gpu; using auto");
        assert_eq!(
            message("LAPACK_AI_DEVICE", "-2"),
            "LAPACK_AI_DEVICE=-2 is not a device index (0, 1, ...), a part of a device's name, a comma-separated \
             list of those, or all; using the first GPU with fp64"
        );
        assert_eq!(
            message("LAPACK_AI_MONITOR", "99999"),
            "LAPACK_AI_MONITOR=99999: the port 99999 is out of range (1 to 65535, or 0 for any free port); running \
             without the monitor"
        );
        assert_eq!(message("LAPACK_AI_RECALIBRATE", "please"), "LAPACK_AI_RECALIBRATE=please is not 1 or 0; not recalibrating");
        assert_eq!(message("LAPACK_AI_LEARN", "2"), "LAPACK_AI_LEARN=2 is not 1 or 0; learning (the default)");
        assert_eq!(message("LAPACK_AI_KERNEL", "fast"), "LAPACK_AI_KERNEL=fast is not portable; using the device's best kernel");
        assert_eq!(
            message("LAPACK_AI_ALPHA_LEVELS", "5"),
            "LAPACK_AI_ALPHA_LEVELS=5 is not a number from 0 to 3; the cost model picks the levels"
        );
        assert_eq!(
            message("LAPACK_AI_MONITOR_ALLOW_REMOTE", "maybe"),
            "LAPACK_AI_MONITOR_ALLOW_REMOTE=maybe is not 1 or 0; the monitor listens on loopback addresses only"
        );
        // Values with blanks are quoted.
        assert_eq!(message("LAPACK_AI_MODE", "g p u"), "LAPACK_AI_MODE=\"g p u\" is not auto, cpu or gpu; using auto");
        let (_, bad) = parse(&[("LAPACK_AI_LEARN", "2"), ("LAPACK_AI_RATES", "cpu=1,gpu=2,h2d=3,launch=0.1")]);
        assert_eq!(bad[0].message, "LAPACK_AI_LEARN=2 is not 1 or 0; not learning (the default with LAPACK_AI_RATES)");
        let (c, bad) = parse(&[("OPENCL_DYLIB_PATH", "/nonexistent/libOpenCL.so;libOpenCL.so.1")]);
        assert_eq!(c.opencl_dylib_path.as_deref(), Some("/nonexistent/libOpenCL.so;libOpenCL.so.1"));
        assert_eq!(
            bad[0].message,
            "OPENCL_DYLIB_PATH=/nonexistent/libOpenCL.so;libOpenCL.so.1: /nonexistent/libOpenCL.so does not exist; \
             OpenCL is loaded from the next entry of the list, or from libOpenCL.so.1"
        );
    }

    #[test]
    fn switches_mean_what_users_mean() {
        for yes in ["1", "yes", "TRUE", "on", "stderr"] {
            let (c, bad) = parse(&[("LAPACK_AI_PROFILE", yes), ("LAPACK_AI_LOG", yes)]);
            assert!(bad.is_empty(), "{yes}");
            assert_eq!((c.profile, c.log), (ProfileTarget::Stderr, LogTarget::Stderr), "{yes}");
        }
        for no in ["0", "no", "False", "OFF"] {
            let (c, _) = parse(&[
                ("LAPACK_AI_PROFILE", no),
                ("LAPACK_AI_LOG", no),
                ("LAPACK_AI_LEARN", no),
                ("LAPACK_AI_RECALIBRATE", no),
            ]);
            assert_eq!((c.profile, c.log, c.learn, c.recalibrate), (ProfileTarget::Off, LogTarget::Off, false, false), "{no}");
        }
        let (c, _) = parse(&[("LAPACK_AI_RECALIBRATE", "yes"), ("LAPACK_AI_MONITOR_ALLOW_REMOTE", "true"), ("LAPACK_AI_SVD_PHASES", "on")]);
        assert!(c.recalibrate && c.monitor_allow_remote && c.svd_phases);
        let (c, _) = parse(&[("LAPACK_AI_PROFILE", "yes.txt")]);
        assert_eq!(c.profile, ProfileTarget::File("yes.txt".into()));
    }

    #[test]
    fn device_choices_print_as_their_value() {
        let (c, _) = parse(&[("LAPACK_AI_DEVICE", "0, PoCL,h100")]);
        assert_eq!(c.device.to_string(), "0,pocl,h100");
        assert_eq!(DeviceSpec::Index(7).to_string(), "7");
        assert_eq!(DeviceSpec::Name("nonexistent".into()).to_string(), "nonexistent");
        assert_eq!(DeviceSpec::Name("intel gpu".into()).to_string(), "\"intel gpu\"");
        assert_eq!(DeviceSpec::AllFp64Gpus.to_string(), "all");
    }

    #[test]
    fn unknown_variables_get_the_nearest_known_one() {
        let names = |list: &[&str]| unknown_variables(list.iter().map(|s| s.to_string()));
        let messages = |list: &[&str]| names(list).into_iter().map(|b| b.message).collect::<Vec<_>>();
        assert_eq!(messages(&["LAPACK_AI_MOD"]), ["LAPACK_AI_MOD is not a variable of lapack-ai, and is ignored; did you mean LAPACK_AI_MODE?"]);
        assert!(messages(&["LAPACK_AI_DEIVCE"])[0].ends_with("did you mean LAPACK_AI_DEVICE?"));
        assert!(messages(&["LAPACK_AI_PROFIL"])[0].ends_with("did you mean LAPACK_AI_PROFILE?"));
        assert!(messages(&["LAPACK_AI_CPULIB"])[0].ends_with("did you mean LAPACK_AI_CPU_LIB?"));
        assert!(messages(&["LAPACK_AI_MONITOR_ALLOW"])[0].contains("LAPACK_AI_MONITOR_ALLOW_REMOTE"));
        assert_eq!(messages(&["lapack_ai_mode"]), ["lapack_ai_mode is ignored: variable names are upper case (LAPACK_AI_MODE)"]);
        assert!(messages(&["LAPACK_AI_XYZZY_PLUGH"])[0].contains("is ignored (the nearest is"));
        let mut every: Vec<&str> = VARIABLES.to_vec();
        every.extend(OTHER_PROGRAMS_VARIABLES);
        every.extend(["PATH", "LAPACKAI_MODE", "OPENCL_DYLIB_PATH"]);
        assert!(names(&every).is_empty(), "{:?}", names(&every));
        assert_eq!((edit_distance("MODE", "MOD"), edit_distance("DEIVCE", "DEVICE"), edit_distance("", "LOG")), (1, 1, 3));
        assert_eq!((edit_distance("CPULIB", "CPU_LIB"), edit_distance("KERNAL", "KERNEL"), edit_distance("ABCD", "WXYZ")), (1, 1, 4));
    }

    /// Every `LAPACK_AI_*` name in the project's sources, scripts and
    /// documentation is a variable the library knows (so that setting it
    /// draws no warning), or one of the API's names listed here. A new
    /// variable read anywhere belongs in [`VARIABLES`] or
    /// [`OTHER_PROGRAMS_VARIABLES`].
    #[test]
    fn every_variable_of_the_project_is_known() {
        // Names of the C, Fortran and CMake interfaces, macros of the
        // kernels, and the prefix `LAPACK_AI_ALPHA_*` of the docs.
        const NOT_VARIABLES: [&str; 22] = [
            "LAPACK_AI_H",
            "LAPACK_AI_COL_MAJOR",
            "LAPACK_AI_ROW_MAJOR",
            "LAPACK_AI_INFO_INTERNAL_ERROR",
            "LAPACK_AI_WORK_MEMORY_ERROR",
            "LAPACK_AI_STATS_JSON",
            "LAPACK_AI_STATS",
            "LAPACK_AI_VERSION",
            "LAPACK_AI_INFO",
            "LAPACK_AI_DGESVDOCL",
            "LAPACK_AI_DGEMM_ALPHA",
            "LAPACK_AI_FORTRAN_MODULE_SOURCE",
            "LAPACK_AI_EXPECTED_VERSION",
            "LAPACK_AI_NO_PTX",
            "LAPACK_AI_NVIDIA",
            "LAPACK_AI_ALPHA",
            // Misspellings the tests make on purpose (and tests/config_messages.sh).
            "LAPACK_AI_MOD",
            "LAPACK_AI_DEIVCE",
            "LAPACK_AI_PROFIL",
            "LAPACK_AI_CPULIB",
            "LAPACK_AI_MONITOR_ALLOW",
            "LAPACK_AI_XYZZY_PLUGH",
        ];
        fn walk(path: &std::path::Path, found: &mut Vec<(String, String)>) {
            let Ok(meta) = std::fs::metadata(path) else { return };
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if meta.is_dir() {
                if name.starts_with('.') || ["target", "build", "dist", "__pycache__"].contains(&name.as_str()) || name.ends_with(".egg-info") {
                    return;
                }
                for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                    walk(&entry.path(), found);
                }
            } else if meta.len() < 1 << 20 {
                let Ok(bytes) = std::fs::read(path) else { return };
                let text = String::from_utf8_lossy(&bytes);
                for (at, _) in text.match_indices("LAPACK_AI_") {
                    let tail: String = text[at..].chars().take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_').collect();
                    let tail = tail.trim_end_matches('_');
                    // Lower case after the prefix: a C or Python identifier.
                    let next = text[at + tail.len()..].chars().next().unwrap_or(' ');
                    if tail.len() > "LAPACK_AI".len() && !next.is_ascii_lowercase() {
                        found.push((tail.to_string(), path.display().to_string()));
                    }
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut found = Vec::new();
        for part in ["src", "python", "tools", "tests", "bench", "include", "cmake", "csrc", "fortran-tests", "build.rs", "README.md", "ARCHITECTURE.md"] {
            walk(&root.join(part), &mut found);
        }
        assert!(found.iter().any(|(n, _)| n == "LAPACK_AI_MODE"), "the sources were not found under {}", root.display());
        let unknown: Vec<_> = found
            .iter()
            .filter(|(n, _)| {
                !VARIABLES.contains(&n.as_str()) && !OTHER_PROGRAMS_VARIABLES.contains(&n.as_str()) && !NOT_VARIABLES.contains(&n.as_str())
            })
            .collect();
        assert!(
            unknown.is_empty(),
            "names the library would warn about as unknown variables (add them to VARIABLES or \
             OTHER_PROGRAMS_VARIABLES in src/runtime/config.rs, or to NOT_VARIABLES here if they are no \
             environment variable): {unknown:?}"
        );
    }
}
