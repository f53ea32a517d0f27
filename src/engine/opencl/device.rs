//! OpenCL device discovery and selection (`LAPACK_AI_DEVICE`).
//!
//! The OpenCL ICD loader is opened at run time (opencl3's `dynamic`
//! feature): a machine without OpenCL simply has no device, and the library
//! runs on the CPU.

use crate::runtime::config::{DeviceSpec, CONFIG};
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
    let platforms = get_platforms().map_err(|e| format!("no OpenCL platform ({e})"))?;
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

/// The device `spec` names among `devices` (the first, for a list). Only
/// devices with fp64 can run double-precision kernels, so a named device
/// without it is refused.
pub fn select<'a>(spec: &DeviceSpec, devices: &'a [DeviceInfo]) -> Result<&'a DeviceInfo, String> {
    select_all(spec, devices).map(|all| all[0])
}

/// Every device `spec` names among `devices`, in the order given, each
/// once (a list that names one device twice uses it once).
pub fn select_all<'a>(spec: &DeviceSpec, devices: &'a [DeviceInfo]) -> Result<Vec<&'a DeviceInfo>, String> {
    let usable = |d: &&DeviceInfo| d.fp64;
    let found = match spec {
        DeviceSpec::FirstFp64Gpu => {
            return devices
                .iter()
                .filter(usable)
                .find(|d| d.is_gpu)
                .map(|d| vec![d])
                .ok_or_else(|| "no OpenCL GPU with fp64 (set LAPACK_AI_DEVICE to use another device)".to_string());
        }
        DeviceSpec::AllFp64Gpus => {
            let all: Vec<&DeviceInfo> = devices.iter().filter(usable).filter(|d| d.is_gpu).collect();
            return if all.is_empty() {
                Err("LAPACK_AI_DEVICE=all: no OpenCL GPU with fp64".to_string())
            } else {
                Ok(all)
            };
        }
        DeviceSpec::List(items) => {
            let mut chosen: Vec<&DeviceInfo> = Vec::new();
            for item in items {
                for d in select_all(item, devices)? {
                    if !chosen.iter().any(|c| c.index == d.index) {
                        chosen.push(d);
                    }
                }
            }
            return if chosen.is_empty() { Err("LAPACK_AI_DEVICE names no device".to_string()) } else { Ok(chosen) };
        }
        DeviceSpec::Index(i) => devices.get(*i),
        DeviceSpec::Name(text) => devices
            .iter()
            .find(|d| [&d.name, &d.platform, &d.vendor].iter().any(|s| s.to_lowercase().contains(text))),
    };
    let device = found.ok_or_else(|| {
        let all: Vec<String> = devices.iter().map(DeviceInfo::describe).collect();
        format!("LAPACK_AI_DEVICE={spec:?} matches no OpenCL device (devices: {})", if all.is_empty() { "none".into() } else { all.join("; ") })
    })?;
    if !device.fp64 {
        return Err(format!("OpenCL device {} has no cl_khr_fp64", device.describe()));
    }
    Ok(vec![device])
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
    .unwrap_or_else(|what| Err(format!("internal error {what} while listing the OpenCL devices")));
    crate::runtime::stats::set_device(match &chosen {
        Ok(all) => all[0].describe(),
        Err(why) => format!("none ({why})"),
    });
    match &chosen {
        Err(why) if CONFIG.device != DeviceSpec::FirstFp64Gpu => {
            crate::runtime::warn::warn(&format!("{why}; running on the CPU"))
        }
        _ => {}
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
