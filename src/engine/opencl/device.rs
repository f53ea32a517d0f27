//! OpenCL device discovery and selection (`LAPACK_AI_DEVICE`).
//!
//! The OpenCL ICD loader is opened at run time (opencl3's `dynamic`
//! feature): a machine without OpenCL simply has no device, and the library
//! runs on the CPU.

use crate::runtime::config::{DeviceSpec, Mode, CONFIG};
use opencl3::device::{Device, CL_DEVICE_TYPE_ALL, CL_DEVICE_TYPE_GPU};
use opencl3::platform::get_platforms;
use opencl3::types::cl_device_id;
use once_cell::sync::Lazy;

/// Why a process forked after OpenCL was loaded has no device.
pub(crate) const FORKED: &str = "a child process made by fork() after its parent loaded OpenCL, whose state it cannot use";

/// One OpenCL device, as the selection and the reports see it.
#[derive(Clone, Debug)]
pub struct DeviceInfo {
    /// Position over all platforms, in platform order (what an index in
    /// `LAPACK_AI_DEVICE` refers to).
    pub index: usize,
    pub platform: String,
    /// The platform's vendor ("The pocl project", "NVIDIA Corporation").
    pub vendor: String,
    pub name: String,
    pub driver: String,
    pub is_gpu: bool,
    pub fp64: bool,
    pub id: cl_device_id,
}

// SAFETY: a cl_device_id is an opaque handle that OpenCL allows any thread
// to use (OpenCL 3.0 §A.2: all API calls are thread-safe except
// clSetKernelArg/clSetKernelExecInfo on one kernel).
unsafe impl Send for DeviceInfo {}
// SAFETY: as above; the struct is never mutated after discovery.
unsafe impl Sync for DeviceInfo {}

impl DeviceInfo {
    pub fn describe(&self) -> String {
        format!("#{} {} ({}, driver {})", self.index, self.name, self.platform, self.driver)
    }
}

/// Every OpenCL device of every platform, or why there are none.
pub fn list() -> Result<Vec<DeviceInfo>, String> {
    if crate::runtime::fork::opencl_inherited() {
        return Err(FORKED.into());
    }
    crate::runtime::fork::before_opencl();
    // One listing at a time: the ICD loader and PoCL set themselves up at
    // the first clGetPlatformIDs, and two threads doing that at once made
    // PoCL read a device name it had not written yet (a crash in strlen
    // under clGetDeviceInfo, seen with two unit tests listing together).
    // `lapack_ai_info()` may list while a call sets the device up.
    static LISTING: parking_lot::Mutex<()> = parking_lot::Mutex::new(());
    let _one_at_a_time = LISTING.lock();
    let platforms = get_platforms().map_err(|e| match e.0 {
        // opencl3's code for "the library did not load".
        -2000 => match &CONFIG.opencl_dylib_path {
            Some(path) => format!(
                "no OpenCL library: neither OPENCL_DYLIB_PATH={path} nor libOpenCL.so.1 can be loaded (install an \
                 OpenCL ICD loader, such as ocl-icd-libopencl1, and the GPU's OpenCL driver)"
            ),
            None => "no OpenCL library: libOpenCL.so.1 cannot be loaded (install an OpenCL ICD loader, such as \
                     ocl-icd-libopencl1, and the GPU's OpenCL driver)"
                .to_string(),
        },
        // CL_PLATFORM_NOT_FOUND_KHR: the loader found no driver.
        -1001 => NO_DRIVER.to_string(),
        _ => format!("the OpenCL library could not list its platforms ({e})"),
    })?;
    if platforms.is_empty() {
        return Err(NO_DRIVER.into());
    }
    let mut devices = Vec::new();
    for platform in platforms {
        let platform_name = platform.name().unwrap_or_default();
        let vendor = platform.vendor().unwrap_or_default();
        let Ok(ids) = platform.get_devices(CL_DEVICE_TYPE_ALL) else { continue };
        for id in ids {
            let device = Device::new(id);
            let extensions = device.extensions().unwrap_or_default();
            devices.push(DeviceInfo {
                index: devices.len(),
                platform: platform_name.trim().to_string(),
                vendor: vendor.trim().to_string(),
                name: device.name().unwrap_or_default().trim().to_string(),
                driver: device.driver_version().unwrap_or_default().trim().to_string(),
                is_gpu: device.dev_type().map(|t| t & CL_DEVICE_TYPE_GPU != 0).unwrap_or(false),
                fp64: extensions.split_whitespace().any(|e| e == "cl_khr_fp64"),
                id,
            });
        }
    }
    Ok(devices)
}

/// Why a machine with the OpenCL library has no device: no driver.
const NO_DRIVER: &str = "no OpenCL driver: the OpenCL library finds no platform (no driver is registered in \
                         /etc/OpenCL/vendors; install the GPU's OpenCL driver)";

/// A device in a message: `#0 NAME (PLATFORM)`.
fn short(d: &DeviceInfo) -> String {
    format!("#{} {} ({})", d.index, d.name, d.platform)
}

/// What names `d` in `LAPACK_AI_DEVICE`: `pocl` where that selects it,
/// else its index.
fn naming(d: &DeviceInfo, devices: &[DeviceInfo]) -> String {
    let pocl = devices.iter().find(|x| [&x.name, &x.platform, &x.vendor].iter().any(|s| s.to_lowercase().contains("pocl")));
    match pocl {
        Some(first) if first.index == d.index => "pocl".into(),
        _ => d.index.to_string(),
    }
}

/// Why `devices` hold no GPU with fp64, and what to do: the GPUs without
/// fp64, and how to name the CPU devices (which are used only when named).
fn no_fp64_gpu(devices: &[DeviceInfo]) -> String {
    if devices.is_empty() {
        return "the OpenCL platforms have no device".into();
    }
    let mut why = "no GPU with fp64 among the OpenCL devices".to_string();
    let without: Vec<String> = devices.iter().filter(|d| d.is_gpu && !d.fp64).map(short).collect();
    if !without.is_empty() {
        why += &format!(
            ": {} {} no fp64 (cl_khr_fp64), and lapack-ai computes in double precision",
            without.join(", "),
            if without.len() == 1 { "has" } else { "have" }
        );
    }
    let others: Vec<String> = devices
        .iter()
        .filter(|d| !d.is_gpu && d.fp64)
        .take(3)
        .map(|d| format!("LAPACK_AI_DEVICE={} for {}", naming(d, devices), short(d)))
        .collect();
    if !others.is_empty() {
        why += &format!("; CPU OpenCL devices are used only when named: {}", others.join(", "));
    }
    why
}

/// The device `spec` names among `devices` (the first, for a list). Only
/// devices with fp64 can run double-precision kernels, so a named device
/// without it is refused.
pub fn select<'a>(spec: &DeviceSpec, devices: &'a [DeviceInfo]) -> Result<&'a DeviceInfo, String> {
    select_all(spec, devices).map(|all| all[0])
}

/// Every device `spec` names among `devices`, in the order given, each
/// once (a list that names one device twice uses it once). The error is a
/// sentence for the log, the warning and `lapack_ai_info()`.
pub fn select_all<'a>(spec: &DeviceSpec, devices: &'a [DeviceInfo]) -> Result<Vec<&'a DeviceInfo>, String> {
    let usable = |d: &&DeviceInfo| d.fp64;
    match spec {
        DeviceSpec::FirstFp64Gpu => {
            devices.iter().filter(usable).find(|d| d.is_gpu).map(|d| vec![d]).ok_or_else(|| no_fp64_gpu(devices))
        }
        DeviceSpec::AllFp64Gpus => {
            let all: Vec<&DeviceInfo> = devices.iter().filter(usable).filter(|d| d.is_gpu).collect();
            if all.is_empty() {
                Err(format!("LAPACK_AI_DEVICE=all: {}", no_fp64_gpu(devices)))
            } else {
                Ok(all)
            }
        }
        DeviceSpec::List(items) => {
            let mut chosen: Vec<&DeviceInfo> = Vec::new();
            for item in items {
                let d = select_one(item, devices).map_err(|why| format!("LAPACK_AI_DEVICE={spec}: {item} {why}"))?;
                if !chosen.iter().any(|c| c.index == d.index) {
                    chosen.push(d);
                }
            }
            if chosen.is_empty() {
                Err(format!("LAPACK_AI_DEVICE={spec} names no device"))
            } else {
                Ok(chosen)
            }
        }
        _ => select_one(spec, devices).map(|d| vec![d]).map_err(|why| format!("LAPACK_AI_DEVICE={spec} {why}")),
    }
}

/// The device one item of `LAPACK_AI_DEVICE` names (an index or a name;
/// `all` and the default as for a whole list), or why not: the end of a
/// sentence that starts with the item.
fn select_one<'a>(spec: &DeviceSpec, devices: &'a [DeviceInfo]) -> Result<&'a DeviceInfo, String> {
    let found = match spec {
        DeviceSpec::Index(i) => devices.get(*i),
        DeviceSpec::Name(text) => devices
            .iter()
            .find(|d| [&d.name, &d.platform, &d.vendor].iter().any(|s| s.to_lowercase().contains(text))),
        // Not made by the parser inside a list.
        other => return select_all(other, devices).map(|all| all[0]).map_err(|why| format!("cannot be used: {why}")),
    };
    let device = found.ok_or_else(|| {
        let all: Vec<String> = devices.iter().map(DeviceInfo::describe).collect();
        if all.is_empty() {
            "matches no OpenCL device; there are none".to_string()
        } else {
            format!("matches no OpenCL device; the devices are: {}", all.join("; "))
        }
    })?;
    if !device.fp64 {
        return Err(format!(
            "names {}, which has no fp64 (cl_khr_fp64), and lapack-ai computes in double precision",
            device.describe()
        ));
    }
    Ok(device)
}

/// The devices this process uses, chosen at first use; `Err` says why there
/// is none. A device named in `LAPACK_AI_DEVICE` that cannot be used is
/// reported once on stderr. The first is the one every routine uses; DGEMM
/// spreads over all of them.
pub static DEVICES: Lazy<Result<Vec<DeviceInfo>, String>> = Lazy::new(|| {
    // Under a catch: a panic in the OpenCL bindings must not poison the
    // Lazy, which every routed call reads.
    let chosen: Result<Vec<DeviceInfo>, String> = crate::runtime::panic::catch(|| {
        super::timed_setup(|| {
            list().and_then(|devices| select_all(&CONFIG.device, &devices).map(|v| v.into_iter().cloned().collect()))
        })
    })
    .unwrap_or_else(|what| Err(format!("internal error {what} while listing the OpenCL devices")))
    .map_err(|why| {
        // A named device that cannot be used: the message names the
        // variable (the selection's do already).
        if CONFIG.device == DeviceSpec::FirstFp64Gpu || why.starts_with("LAPACK_AI_DEVICE=") {
            why
        } else {
            format!("LAPACK_AI_DEVICE={}: {why}", CONFIG.device)
        }
    });
    crate::runtime::stats::set_device(match &chosen {
        Ok(all) => all[0].describe(),
        Err(why) => format!("none ({why})"),
    });
    // Without a device the library says so once when it was asked for one:
    // by LAPACK_AI_MODE=gpu, or by naming one.
    if let Err(why) = &chosen {
        if CONFIG.mode == Mode::Gpu {
            crate::runtime::warn::warn(&format!("LAPACK_AI_MODE=gpu, but every call runs on the CPU: {why}"));
        } else if CONFIG.device != DeviceSpec::FirstFp64Gpu {
            crate::runtime::warn::warn(&format!("{why}; every call runs on the CPU"));
        }
    }
    chosen
});

/// The first of [`DEVICES`].
pub static DEVICE: Lazy<Result<DeviceInfo, String>> =
    Lazy::new(|| DEVICES.as_ref().map(|v| v[0].clone()).map_err(Clone::clone));

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(index: usize, platform: &str, name: &str, is_gpu: bool, fp64: bool) -> DeviceInfo {
        DeviceInfo {
            index,
            platform: platform.into(),
            vendor: if platform.starts_with("Portable") { "The pocl project".into() } else { platform.into() },
            name: name.into(),
            driver: "1".into(),
            is_gpu,
            fp64,
            id: std::ptr::null_mut(),
        }
    }

    #[test]
    fn selection_follows_the_documented_rules() {
        let devices = [
            fake(0, "Portable Computing Language", "cpu-haswell", false, true),
            fake(1, "Intel", "Iris Xe", true, false),
            fake(2, "NVIDIA CUDA", "NVIDIA H100 80GB HBM3", true, true),
        ];
        assert_eq!(select(&DeviceSpec::FirstFp64Gpu, &devices).unwrap().index, 2);
        assert_eq!(select(&DeviceSpec::Index(0), &devices).unwrap().index, 0);
        assert_eq!(select(&DeviceSpec::Name("pocl".into()), &devices).unwrap().index, 0);
        assert_eq!(select(&DeviceSpec::Name("portable".into()), &devices).unwrap().index, 0);
        assert_eq!(select(&DeviceSpec::Name("h100".into()), &devices).unwrap().index, 2);
        assert!(select(&DeviceSpec::Index(1), &devices).unwrap_err().contains("cl_khr_fp64"));
        assert!(select(&DeviceSpec::Index(7), &devices).unwrap_err().contains("matches no OpenCL device"));
        assert!(select(&DeviceSpec::FirstFp64Gpu, &devices[..2]).is_err());
        let ids = |spec: DeviceSpec| select_all(&spec, &devices).map(|v| v.iter().map(|d| d.index).collect::<Vec<_>>());
        assert_eq!(ids(DeviceSpec::AllFp64Gpus), Ok(vec![2]));
        assert_eq!(ids(DeviceSpec::List(vec![DeviceSpec::Index(2), DeviceSpec::Name("pocl".into())])), Ok(vec![2, 0]));
        assert_eq!(ids(DeviceSpec::List(vec![DeviceSpec::Index(0), DeviceSpec::Name("pocl".into())])), Ok(vec![0]));
        assert!(ids(DeviceSpec::List(vec![DeviceSpec::Index(0), DeviceSpec::Index(1)])).unwrap_err().contains("cl_khr_fp64"));
        assert!(select_all(&DeviceSpec::AllFp64Gpus, &devices[..2]).is_err());
    }

    #[test]
    fn selection_errors_are_sentences() {
        let devices = [
            fake(0, "Portable Computing Language", "cpu-haswell", false, true),
            fake(1, "Intel", "Iris Xe", true, false),
            fake(2, "NVIDIA CUDA", "NVIDIA H100 80GB HBM3", true, true),
        ];
        let why = |spec: DeviceSpec, devices: &[DeviceInfo]| select_all(&spec, devices).unwrap_err();
        assert_eq!(
            why(DeviceSpec::Name("nonexistent".into()), &devices),
            "LAPACK_AI_DEVICE=nonexistent matches no OpenCL device; the devices are: #0 cpu-haswell (Portable \
             Computing Language, driver 1); #1 Iris Xe (Intel, driver 1); #2 NVIDIA H100 80GB HBM3 (NVIDIA CUDA, driver 1)"
        );
        assert_eq!(why(DeviceSpec::Index(7), &[]), "LAPACK_AI_DEVICE=7 matches no OpenCL device; there are none");
        assert_eq!(
            why(DeviceSpec::Index(1), &devices),
            "LAPACK_AI_DEVICE=1 names #1 Iris Xe (Intel, driver 1), which has no fp64 (cl_khr_fp64), and lapack-ai \
             computes in double precision"
        );
        assert!(why(DeviceSpec::List(vec![DeviceSpec::Index(0), DeviceSpec::Index(9)]), &devices)
            .starts_with("LAPACK_AI_DEVICE=0,9: 9 matches no OpenCL device; the devices are: #0 cpu-haswell"));
        // No GPU with fp64: the CPU device is there, to be named.
        assert_eq!(
            why(DeviceSpec::FirstFp64Gpu, &devices[..1]),
            "no GPU with fp64 among the OpenCL devices; CPU OpenCL devices are used only when named: \
             LAPACK_AI_DEVICE=pocl for #0 cpu-haswell (Portable Computing Language)"
        );
        assert_eq!(
            why(DeviceSpec::FirstFp64Gpu, &devices[..2]),
            "no GPU with fp64 among the OpenCL devices: #1 Iris Xe (Intel) has no fp64 (cl_khr_fp64), and lapack-ai \
             computes in double precision; CPU OpenCL devices are used only when named: LAPACK_AI_DEVICE=pocl for \
             #0 cpu-haswell (Portable Computing Language)"
        );
        let second_cpu = [devices[0].clone(), fake(1, "Portable Computing Language", "cpu-other", false, true)];
        assert!(why(DeviceSpec::AllFp64Gpus, &second_cpu).starts_with("LAPACK_AI_DEVICE=all: no GPU with fp64"));
        assert!(why(DeviceSpec::FirstFp64Gpu, &second_cpu).ends_with(", LAPACK_AI_DEVICE=1 for #1 cpu-other (Portable Computing Language)"));
        assert_eq!(why(DeviceSpec::FirstFp64Gpu, &[]), "the OpenCL platforms have no device");
        for spec in [DeviceSpec::Index(7), DeviceSpec::Name("x".into()), DeviceSpec::List(vec![DeviceSpec::Index(7)])] {
            assert!(!why(spec.clone(), &devices).contains("Index(") && !why(spec, &devices).contains("Name("));
        }
    }

    /// With `LAPACK_AI_TEST_OPENCL=pocl` (set by tools/test.sh, where PoCL
    /// is installed) the real ICD loader must list a PoCL device with fp64.
    #[test]
    fn the_installed_opencl_devices_are_found() {
        let Ok(want) = std::env::var("LAPACK_AI_TEST_OPENCL") else {
            eprintln!("LAPACK_AI_TEST_OPENCL not set: only listing");
            let _ = list();
            return;
        };
        let devices = list().expect("OpenCL platforms");
        let d = select(&DeviceSpec::Name(want.to_lowercase()), &devices).expect("the named device");
        assert!(d.fp64 && !d.name.is_empty(), "{d:?}");
    }
}

/// What the reports (`lapack_ai_info`, `lapack-ai info`) say of a device
/// beyond [`DeviceInfo`]: its type, memory and compute units, as its
/// driver gives them (`None` where it does not say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capacity {
    /// `gpu`, `cpu`, `accelerator` or `other`.
    pub kind: &'static str,
    /// CL_DEVICE_GLOBAL_MEM_SIZE, bytes.
    pub global_mem_bytes: Option<u64>,
    /// CL_DEVICE_MAX_COMPUTE_UNITS.
    pub compute_units: Option<u32>,
}

/// The [`Capacity`] of `device`, asked of its driver.
pub fn capacity(device: &DeviceInfo) -> Capacity {
    use opencl3::device::{CL_DEVICE_TYPE_ACCELERATOR, CL_DEVICE_TYPE_CPU};
    let d = Device::new(device.id);
    let kind = match d.dev_type() {
        Ok(t) if t & CL_DEVICE_TYPE_GPU != 0 => "gpu",
        Ok(t) if t & CL_DEVICE_TYPE_CPU != 0 => "cpu",
        Ok(t) if t & CL_DEVICE_TYPE_ACCELERATOR != 0 => "accelerator",
        _ => "other",
    };
    Capacity { kind, global_mem_bytes: d.global_mem_size().ok(), compute_units: d.max_compute_units().ok() }
}

/// Every OpenCL device of the machine with its [`Capacity`], in the order
/// of [`list`] (what an index in `LAPACK_AI_DEVICE` refers to), or why
/// there is none; for reports, not for routing.
pub fn list_with_capacity() -> Result<Vec<(DeviceInfo, Capacity)>, String> {
    list().map(|devices| devices.into_iter().map(|d| {
        let c = capacity(&d);
        (d, c)
    }).collect())
}
