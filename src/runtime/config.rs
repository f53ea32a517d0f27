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
use std::net::SocketAddr;
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

#[derive(Clone, Debug, PartialEq, Eq)]
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
}

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
            match super::monitor::parse_address(&v) {
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
        (config, bad)
    }
}

/// The process's configuration, read from the environment at first use.
/// Problems are printed once, here.
pub static CONFIG: Lazy<Config> = Lazy::new(|| {
    let (config, bad) = Config::parse(|name| std::env::var(name).ok());
    for b in bad {
        crate::runtime::log::warn(&b.message);
    }
    config
});

#[cfg(test)]
mod tests {
    use super::*;
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
