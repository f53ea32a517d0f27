//! The library's configuration: read once, from documented environment
//! variables, into one struct. A bad value is reported once on stderr and
//! replaced by the default; it never stops the program. The table lists
//! the struct's variables; the others are read where they are used
//! (README.md's Configuration table lists them all), among them
//! `LAPACK_AI_CACHE_DIR`, where compiled kernels and measured rates are
//! kept (src/runtime/cache.rs says what that cache guarantees).
//!
//! | variable            | values                                  | default |
//! |---------------------|-----------------------------------------|---------|
//! | `LAPACK_AI_MODE`    | `auto`, `cpu`, `gpu`                    | `auto`  |
//! | `LAPACK_AI_DEVICE`  | OpenCL device index, or a substring of its device name, platform name or platform vendor (`pocl`, `h100`); a comma-separated list of those (`0,1`), or `all` (every GPU with fp64), for DGEMM on several devices | first GPU with fp64 |
//! | `LAPACK_AI_LOG`     | `stderr`, or a file path (appended to)  | off     |
//! | `LAPACK_AI_CPU_LIB` | path of a BLAS/LAPACK shared library, or `bundled` | next in process |
//! | `LAPACK_AI_PROFILE` | `1` (stderr), or a file path (`%p`: the process id), for the profile at exit | off |
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
    /// `LAPACK_AI_ALPHA_LEVELS`: 0 to [`ALPHA_MAX_LEVELS`].
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

/// A variable whose value could not be used, with the message for the user.
#[derive(Debug, PartialEq, Eq)]
pub struct BadValue {
    pub variable: &'static str,
    pub message: String,
}

impl Config {
    /// Parses the configuration from a lookup function (the environment in
    /// production, a map in tests). Returns the configuration and the
    /// problems found; each problem has been replaced by its default.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> (Config, Vec<BadValue>) {
        let mut config = Config::default();
        let mut bad = Vec::new();
        let non_empty = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        if let Some(v) = non_empty("LAPACK_AI_MODE") {
            match v.to_ascii_lowercase().as_str() {
                "auto" => config.mode = Mode::Auto,
                "cpu" => config.mode = Mode::Cpu,
                "gpu" => config.mode = Mode::Gpu,
                _ => bad.push(BadValue {
                    variable: "LAPACK_AI_MODE",
                    message: format!("LAPACK_AI_MODE={v:?} is not one of auto, cpu, gpu; using auto"),
                }),
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
                bad.push(BadValue {
                    variable: "LAPACK_AI_DEVICE",
                    message: format!(
                        "LAPACK_AI_DEVICE={v:?} is neither a device index (0, 1, ...), a name, a list of them \
                         (0,1) nor all; using the first GPU with fp64"
                    ),
                });
                DeviceSpec::FirstFp64Gpu
            });
        }
        if let Some(v) = non_empty("LAPACK_AI_LOG") {
            config.log = match v.as_str() {
                "stderr" | "STDERR" | "1" => LogTarget::Stderr,
                "0" | "off" | "OFF" => LogTarget::Off,
                path => LogTarget::File(PathBuf::from(path)),
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
            config.profile = match v.as_str() {
                "1" | "stderr" | "STDERR" => ProfileTarget::Stderr,
                "0" | "off" | "OFF" => ProfileTarget::Off,
                path => ProfileTarget::File(PathBuf::from(path)),
            };
        }
        let allow_remote = non_empty("LAPACK_AI_MONITOR_ALLOW_REMOTE").is_some_and(|v| v == "1");
        config.monitor_allow_remote = allow_remote;
        if let Some(v) = non_empty("LAPACK_AI_MONITOR") {
            match parse_address(&v) {
                Err(why) => bad.push(BadValue {
                    variable: "LAPACK_AI_MONITOR",
                    message: format!("LAPACK_AI_MONITOR={v:?}: {why}; running without the monitor"),
                }),
                Ok(addr) if !addr.ip().is_loopback() && !allow_remote => bad.push(BadValue {
                    variable: "LAPACK_AI_MONITOR",
                    message: format!(
                        "LAPACK_AI_MONITOR={v:?} is not a loopback address, so other machines could read \
                         the monitor; set LAPACK_AI_MONITOR_ALLOW_REMOTE=1 to allow that; running without the monitor"
                    ),
                }),
                Ok(addr) => config.monitor = Some(addr),
            }
        }
        config.rates = non_empty("LAPACK_AI_RATES");
        config.recalibrate = non_empty("LAPACK_AI_RECALIBRATE").is_some_and(|v| v == "1");
        config.learn = match non_empty("LAPACK_AI_LEARN").as_deref() {
            Some("0") => false,
            Some("1") => true,
            _ => config.rates.is_none(),
        };
        config.opencl_environment = OPENCL_ENVIRONMENT
            .iter()
            .filter_map(|name| get(name).map(|v| format!("{name}={v}\n")))
            .collect();
        config.cache_dir = cache_dir(|name| get(name));
        config.portable_kernel = non_empty("LAPACK_AI_KERNEL").is_some_and(|v| v.eq_ignore_ascii_case("portable"));
        config.opencl_dylib_path = non_empty("OPENCL_DYLIB_PATH");
        config.svd_phases = non_empty("LAPACK_AI_SVD_PHASES").is_some_and(|v| v == "1");
        let mut positive = |variable: &'static str, min: usize, max: usize, what: &str| -> Option<usize> {
            let v = non_empty(variable)?;
            match v.parse::<usize>() {
                Ok(x) if (min..=max).contains(&x) => Some(x),
                _ => {
                    bad.push(BadValue { variable, message: format!("{variable}={v:?}: not {what}; using the default") });
                    None
                }
            }
        };
        config.test_staging = positive("LAPACK_AI_TEST_STAGING", 64, usize::MAX, "a number of doubles of at least 64");
        config.alpha.levels = positive("LAPACK_AI_ALPHA_LEVELS", 0, ALPHA_MAX_LEVELS, "0 to 3");
        config.alpha.min_block = positive("LAPACK_AI_ALPHA_MIN_BLOCK", 1, usize::MAX, "a positive integer");
        if let Some(v) = non_empty("LAPACK_AI_ALPHA_SCHEME") {
            if ALPHA_SCHEMES.contains(&v.as_str()) {
                config.alpha.scheme = Some(v);
            } else {
                bad.push(BadValue {
                    variable: "LAPACK_AI_ALPHA_SCHEME",
                    message: format!("LAPACK_AI_ALPHA_SCHEME={v:?}: not dps48 or strassen49; using the default"),
                });
            }
        }
        if let Some(v) = non_empty("LAPACK_AI_ALPHA_ADD_GBS") {
            match v.parse::<f64>() {
                Ok(x) if x > 0.0 && x.is_finite() => config.alpha.add_gbs = Some(x),
                _ => bad.push(BadValue {
                    variable: "LAPACK_AI_ALPHA_ADD_GBS",
                    message: format!("LAPACK_AI_ALPHA_ADD_GBS={v:?}: not a positive number; using the default"),
                }),
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
/// looked up: say which address to listen on.
pub fn parse_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = text.strip_prefix("localhost:") {
        let port = port.parse::<u16>().map_err(|_| format!("{port:?} is not a port number"))?;
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    text.parse::<SocketAddr>().map_err(|_| "not an address of the form 127.0.0.1:PORT".to_string())
}

/// The process's configuration, read from the environment at first use.
/// Problems are printed once, here.
pub static CONFIG: Lazy<Config> = Lazy::new(|| {
    // A value that is not UTF-8 is read with its bad bytes replaced.
    let (config, bad) = Config::parse(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()));
    for b in bad {
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
        for bad in ["", "host:80", "127.0.0.1", "localhost:x", "127.0.0.1:70000"] {
            assert!(parse_address(bad).is_err(), "{bad:?}");
        }
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
        assert!(bad[0].message.contains("\"fast\""), "{}", bad[0].message);
        assert_eq!(bad[1].variable, "LAPACK_AI_DEVICE");
    }
}
