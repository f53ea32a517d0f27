//! The on-disk cache: compiled OpenCL programs (`build_program` in
//! src/engine/opencl/context.rs) and the cost model's measured rates (`rates_now` in
//! src/dispatch/mod.rs), kept between processes in one directory:
//! `LAPACK_AI_CACHE_DIR`, else `$XDG_CACHE_HOME/lapack-ai`, else
//! `~/.cache/lapack-ai` ([`location`]).
//!
//! API: [`load`]`(kind, key)` gives the bytes last stored under exactly that
//! kind and key, or `None`; [`store`]`(kind, key, bytes)` replaces them. A
//! `None` only costs a rebuild or a recalibration, so every doubt reads as
//! `None`. What this module guarantees, and why:
//!
//! - **A damaged file is never used.** A cached program binary goes to the
//!   OpenCL driver as it is, and a truncated one made PoCL abort the process
//!   (an assertion in `pocl_binary_deserialize`) at every later run. Each
//!   file holds a header: magic, format version, the full key (not only
//!   its hash, which names the file), the payload's length and a 64-bit
//!   FNV-1a checksum of header, key and payload. A short, empty or
//!   oversized file (over 64 MiB), another magic or version, another key,
//!   a length or checksum mismatch: the entry is absent, and the caller
//!   rebuilds it and stores it again. The checksum is against accident, not
//!   against an adversary; that is the next point.
//! - **Nobody else's file is used.** The file names are hashes of public
//!   data, so anyone who can write into the directory can plant a program
//!   that computes wrong products. The directory is used only if it is a
//!   real directory (not a symbolic link), owned by the effective user and
//!   not writable by group or others; it is created with mode 0700 (its
//!   parents as the system creates them). Otherwise nothing is cached in
//!   this process, and one warning says which directory, why, and how to
//!   fix it. The directory is opened once and checked on the descriptor
//!   (`fstat`); every file is reached through that descriptor (`openat`,
//!   `renameat`, `unlinkat`), so renaming the directory or a parent after
//!   the check changes nothing. A file is read only if, opened with
//!   `O_NOFOLLOW`, its descriptor is a regular file owned by the effective
//!   user and not writable by group or others.
//! - **Nothing follows a link.** A write goes to a fresh temporary in the
//!   directory, created with `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600,
//!   and is renamed over the name: a link planted at the name is replaced,
//!   its target never touched. A failed write removes its temporary.
//! - **It never stops the program.** No I/O error panics or aborts; loads
//!   and stores that fail are cache misses. Concurrent processes are safe:
//!   readers see the old file or the new one, never a partial one.
//!
//! File format, integers little-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 0..8 | magic `lapackai` |
//! | 8..12 | format version (1) |
//! | 12..16 | key length, bytes |
//! | 16..24 | payload length, bytes |
//! | 24..32 | FNV-1a 64 of bytes 0..24, the key and the payload |
//! | 32.. | the key (`kind:key`), then the payload |
//!
//! Files are named `KIND-HASH.cache` (KIND `program` or `rates`, HASH the
//! FNV-1a of the key). Earlier versions' files (`dgemm-*.bin`,
//! `rates-*.txt`, unchecked) are never read.

use super::warn::warn;
use once_cell::sync::Lazy;
use std::ffi::CString;
use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// What an entry holds; part of its key and of its file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A compiled OpenCL program binary.
    Program,
    /// The cost model's rates, as text.
    Rates,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Program => "program",
            Kind::Rates => "rates",
        }
    }
}

const MAGIC: [u8; 8] = *b"lapackai";
/// The file format's version: a file of another version is absent.
const VERSION: u32 = 1;
const HEADER: usize = 32;
/// Files larger than this are not read (nor written).
const MAX_FILE: u64 = 64 << 20;

/// The bytes stored under `kind` and `key` in the process's cache
/// directory, or `None` (no such entry, a damaged or foreign file, or no
/// usable cache directory).
pub fn load(kind: Kind, key: &str) -> Option<Vec<u8>> {
    PROCESS.as_ref()?.load(kind, key)
}

/// Stores `payload` under `kind` and `key` in the process's cache
/// directory, replacing what was there. Failure is silent: a later
/// process finds the old entry or none, and builds again.
pub fn store(kind: Kind, key: &str, payload: &[u8]) {
    if let Some(dir) = PROCESS.as_ref() {
        let _ = dir.store(kind, key, payload);
    }
}

/// The process's cache directory, opened and checked at first use (a
/// refusal warns once).
static PROCESS: Lazy<Option<Dir>> = Lazy::new(|| {
    let (path, source) = location()?;
    Dir::open_or_warn(&path, source, &mut |message| warn(message))
});

/// Where the cache is (the configuration's `cache_dir`), with what chose
/// it, for messages. `None` without `LAPACK_AI_CACHE_DIR`,
/// `XDG_CACHE_HOME` or `HOME`.
pub fn location() -> Option<(PathBuf, &'static str)> {
    super::config::CONFIG.cache_dir.clone()
}

/// Why a directory is not used, and what the user can do.
#[derive(Debug)]
pub struct Refusal {
    pub why: String,
    pub fix: String,
}

/// A checked cache directory, held open.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
}

impl Dir {
    /// [`Dir::open`], or `None` after one call of `warn` that names the
    /// directory, why it is not used and how to fix that.
    pub fn open_or_warn(path: &Path, source: &str, warn: &mut dyn FnMut(&str)) -> Option<Dir> {
        match Dir::open(path) {
            Ok(dir) => Some(dir),
            Err(r) => {
                warn(&format!(
                    "cache directory {} (from {source}) is not used: {}; compiled kernels and measured rates \
                     are not cached in this process. To fix: {}",
                    path.display(),
                    r.why,
                    r.fix
                ));
                None
            }
        }
    }

    /// Opens `path` as a cache directory, creating it (mode 0700) if it
    /// does not exist; refuses a symbolic link, anything but a directory,
    /// a directory owned by another user or writable by group or others.
    pub fn open(path: &Path) -> Result<Dir, Refusal> {
        // "dir/" would make the kernel follow a link at "dir".
        let path: PathBuf = path.components().collect();
        let refuse = |why: String, fix: &str| Refusal { why, fix: fix.to_string() };
        let elsewhere = "set LAPACK_AI_CACHE_DIR to a directory of your own";
        if path.as_os_str().is_empty() {
            return Err(refuse("the path is empty".into(), elsewhere));
        }
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| refuse(format!("cannot create {} ({e})", parent.display()), elsewhere))?;
                }
                match DirBuilder::new().mode(0o700).create(&path) {
                    Ok(()) => {}
                    // Another process made it meanwhile: checked below.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(refuse(format!("cannot create it ({e})"), elsewhere)),
                }
            }
            Err(e) => return Err(refuse(format!("cannot examine it ({e})"), elsewhere)),
            Ok(m) if m.file_type().is_symlink() => {
                return Err(refuse(
                    "it is a symbolic link".into(),
                    "set LAPACK_AI_CACHE_DIR to the real directory, or replace the link by a directory of your own",
                ))
            }
            Ok(_) => {}
        }
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP) => refuse("it is a symbolic link".into(), elsewhere),
                Some(libc::ENOTDIR) => refuse("it is not a directory".into(), elsewhere),
                _ => refuse(format!("cannot open it ({e})"), elsewhere),
            })?;
        let meta = file.metadata().map_err(|e| refuse(format!("cannot examine it ({e})"), elsewhere))?;
        if !meta.is_dir() {
            return Err(refuse("it is not a directory".into(), elsewhere));
        }
        if meta.uid() != euid() {
            return Err(refuse(
                format!("it is owned by uid {}, not by this process's user (uid {})", meta.uid(), euid()),
                elsewhere,
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(refuse(
                format!("it is writable by group or others (mode {:04o}), who could plant kernels", meta.mode() & 0o7777),
                &format!("chmod 700 {}", path.display()),
            ));
        }
        Ok(Dir { fd: file.into() })
    }

    /// The file name of an entry (the hash of its kind and key).
    pub fn file_name(kind: Kind, key: &str) -> String {
        format!("{}-{:016x}.cache", kind.name(), fnv1a(&[kind.name().as_bytes(), key.as_bytes()]))
    }

    /// The entry `kind`, `key`, if its file is ours and whole.
    pub fn load(&self, kind: Kind, key: &str) -> Option<Vec<u8>> {
        // O_NONBLOCK: a FIFO at the name must not block the open.
        let file = self.open_at(&Dir::file_name(kind, key), libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK, 0).ok()?;
        let meta = file.metadata().ok()?;
        if !owned_regular(&meta) || meta.len() > MAX_FILE {
            return None;
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        (&file).take(MAX_FILE + 1).read_to_end(&mut bytes).ok()?;
        let payload = decode(&stored_key(kind, key), &bytes)?;
        Some(payload.to_vec())
    }

    /// Writes the entry `kind`, `key` through a temporary renamed into
    /// place; on failure no temporary is left.
    pub fn store(&self, kind: Kind, key: &str, payload: &[u8]) -> io::Result<()> {
        let name = Dir::file_name(kind, key);
        let bytes = encode(&stored_key(kind, key), payload);
        if bytes.len() as u64 > MAX_FILE {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "entry over the size limit"));
        }
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
        let mut attempt = 0;
        let (temporary, file) = loop {
            let temporary = format!(".{name}.{}.{}.tmp", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
            match self.open_at(&temporary, flags, 0o600) {
                Ok(file) => break (temporary, file),
                // A temporary left by a killed process of the same id.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
                Err(e) => return Err(e),
            }
        };
        let written = (&file).write_all(&bytes);
        drop(file);
        let result = written.and_then(|()| self.rename_at(&temporary, &name));
        if result.is_err() {
            let _ = self.unlink_at(&temporary);
        }
        result
    }

    fn open_at(&self, name: &str, flags: libc::c_int, mode: libc::mode_t) -> io::Result<File> {
        let name = c_name(name)?;
        // SAFETY: `self.fd` is an open directory descriptor that self owns
        // for the whole call; `name` is NUL-terminated and outlives it;
        // openat keeps neither.
        let fd = unsafe { libc::openat(self.fd.as_raw_fd(), name.as_ptr(), flags | libc::O_CLOEXEC, libc::c_uint::from(mode)) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just returned by openat, is open, and nothing
        // else owns it; the File closes it.
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    fn rename_at(&self, from: &str, to: &str) -> io::Result<()> {
        let (from, to) = (c_name(from)?, c_name(to)?);
        let dir = self.fd.as_raw_fd();
        // SAFETY: as in open_at: an open directory descriptor, two
        // NUL-terminated names that outlive the call.
        if unsafe { libc::renameat(dir, from.as_ptr(), dir, to.as_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn unlink_at(&self, name: &str) -> io::Result<()> {
        let name = c_name(name)?;
        // SAFETY: as in open_at.
        if unsafe { libc::unlinkat(self.fd.as_raw_fd(), name.as_ptr(), 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

fn c_name(name: &str) -> io::Result<CString> {
    CString::new(name).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a file name"))
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions, cannot fail and touches no
    // memory of ours.
    unsafe { libc::geteuid() }
}

/// A regular file of the effective user that group and others cannot write.
fn owned_regular(meta: &Metadata) -> bool {
    meta.file_type().is_file() && meta.uid() == euid() && meta.mode() & 0o022 == 0
}

/// The key as stored: the kind, then the caller's key.
fn stored_key(kind: Kind, key: &str) -> Vec<u8> {
    [kind.name().as_bytes(), b":", key.as_bytes()].concat()
}

/// FNV-1a, 64 bits, over the concatenation of `parts`.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A file's bytes: header, key, payload (see the module doc).
fn encode(key: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + key.len() + payload.len());
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes.extend_from_slice(&(key.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let checksum = fnv1a(&[&bytes, key, payload]);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes.extend_from_slice(key);
    bytes.extend_from_slice(payload);
    bytes
}

/// The payload of a file's bytes, if they are whole and stored under `key`.
fn decode<'a>(key: &[u8], bytes: &'a [u8]) -> Option<&'a [u8]> {
    let header = bytes.get(..HEADER)?;
    let u32_at = |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let u64_at = |i: usize| (u64::from(u32_at(i + 4)) << 32) | u64::from(u32_at(i));
    if header[..8] != MAGIC || u32_at(8) != VERSION || u32_at(12) as usize != key.len() {
        return None;
    }
    let payload_len = u64_at(16);
    if (HEADER as u64).checked_add(key.len() as u64)?.checked_add(payload_len)? != bytes.len() as u64 {
        return None;
    }
    let (stored_key, payload) = bytes[HEADER..].split_at(key.len());
    if stored_key != key || fnv1a(&[&header[..24], stored_key, payload]) != u64_at(24) {
        return None;
    }
    Some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A fresh directory under the system's temporary directory, removed
    /// when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(what: &str) -> Scratch {
            static N: AtomicU32 = AtomicU32::new(0);
            let path = std::env::temp_dir().join(format!(
                "lapack-ai-cache-test-{}-{}-{what}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir(&path).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
            Scratch(path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    const KEY: &str = "source=__kernel void f() {}\noptions=-DX=1\ndevice=pocl";

    #[test]
    fn round_trip_in_a_created_directory() {
        let scratch = Scratch::new("round-trip");
        let path = scratch.0.join("parent/cache");
        let dir = Dir::open(&path).unwrap();
        assert_eq!(mode(&path), 0o700, "created directory");
        assert_eq!(dir.load(Kind::Program, KEY), None);
        let payload: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        dir.store(Kind::Program, KEY, &payload).unwrap();
        dir.store(Kind::Rates, KEY, b"cpu=1,gpu=2,h2d=3,launch=4").unwrap();
        assert_eq!(dir.load(Kind::Program, KEY).as_deref(), Some(&payload[..]));
        assert_eq!(dir.load(Kind::Rates, KEY).as_deref(), Some(&b"cpu=1,gpu=2,h2d=3,launch=4"[..]));
        assert_eq!(dir.load(Kind::Program, "another key"), None);
        // Replaced, not appended; empty payloads are entries too.
        dir.store(Kind::Program, KEY, b"").unwrap();
        assert_eq!(dir.load(Kind::Program, KEY).as_deref(), Some(&b""[..]));
        let mut expected = vec![Dir::file_name(Kind::Program, KEY), Dir::file_name(Kind::Rates, KEY)];
        expected.sort();
        assert_eq!(names(&path), expected, "no temporaries left");
        for name in &expected {
            assert_eq!(mode(&path.join(name)), 0o600, "{name}");
        }
        // An existing good directory opens again and sees the entries.
        let again = Dir::open(&path).unwrap();
        assert_eq!(again.load(Kind::Rates, KEY).as_deref(), Some(&b"cpu=1,gpu=2,h2d=3,launch=4"[..]));
    }

    #[test]
    fn every_kind_of_damage_reads_as_absent() {
        let scratch = Scratch::new("damage");
        let dir = Dir::open(&scratch.0).unwrap();
        let payload: Vec<u8> = (0..5000u32).map(|i| (i % 256) as u8).collect();
        dir.store(Kind::Program, KEY, &payload).unwrap();
        let file = scratch.0.join(Dir::file_name(Kind::Program, KEY));
        let good = std::fs::read(&file).unwrap();
        let key_at = HEADER;
        let payload_at = HEADER + stored_key(Kind::Program, KEY).len();
        assert_eq!(good.len(), payload_at + payload.len());
        let mut damaged: Vec<(String, Vec<u8>)> = Vec::new();
        for len in [0, 1, 7, 8, 12, 24, 31, 32, key_at + 5, payload_at - 1, payload_at, payload_at + 1, good.len() / 2, good.len() - 1] {
            damaged.push((format!("truncated to {len}"), good[..len].to_vec()));
        }
        for (what, at) in [
            ("magic", 0),
            ("version", 8),
            ("key length", 12),
            ("payload length", 16),
            ("payload length, high byte", 23),
            ("checksum", 24),
            ("key, first byte", key_at),
            ("key, middle", (key_at + payload_at) / 2),
            ("key, last byte", payload_at - 1),
            ("payload, first byte", payload_at),
            ("payload, middle", (payload_at + good.len()) / 2),
            ("payload, last byte", good.len() - 1),
        ] {
            for bit in [0x01, 0x80] {
                let mut bytes = good.clone();
                bytes[at] ^= bit;
                damaged.push((format!("bit {bit:#x} flipped in the {what}"), bytes));
            }
        }
        damaged.push(("one byte appended".into(), [&good[..], &[0]].concat()));
        damaged.push(("the payload length grown with the file".into(), {
            let mut bytes = [&good[..], &[0]].concat();
            bytes[16..24].copy_from_slice(&(payload.len() as u64 + 1).to_le_bytes());
            bytes
        }));
        damaged.push(("zeros".into(), vec![0; good.len()]));
        for (what, bytes) in &damaged {
            std::fs::write(&file, bytes).unwrap();
            assert_eq!(dir.load(Kind::Program, KEY), None, "{what}");
        }
        // Whole entries of a payload of zeros, written sparse: one of
        // exactly the size limit is read, one a byte over it is not.
        let sparse_entry = |total: u64| {
            let key = stored_key(Kind::Program, KEY);
            let payload_len = total - (HEADER + key.len()) as u64;
            let mut header = MAGIC.to_vec();
            header.extend_from_slice(&VERSION.to_le_bytes());
            header.extend_from_slice(&(key.len() as u32).to_le_bytes());
            header.extend_from_slice(&payload_len.to_le_bytes());
            // FNV-1a over zeros only multiplies by the prime.
            let checksum = fnv1a(&[&header, &key]).wrapping_mul(0x0000_0100_0000_01b3u64.wrapping_pow(payload_len as u32));
            header.extend_from_slice(&checksum.to_le_bytes());
            let mut f = OpenOptions::new().write(true).truncate(true).open(&file).unwrap();
            f.write_all(&[&header[..], &key].concat()).unwrap();
            f.set_len(total).unwrap();
        };
        sparse_entry(MAX_FILE);
        assert_eq!(dir.load(Kind::Program, KEY).map(|p| p.len() as u64), Some(MAX_FILE - payload_at as u64), "at the limit");
        sparse_entry(MAX_FILE + 1);
        assert_eq!(dir.load(Kind::Program, KEY), None, "oversized");
        // A whole file stored under another key, at this key's name.
        dir.store(Kind::Program, "another key", &payload).unwrap();
        std::fs::copy(scratch.0.join(Dir::file_name(Kind::Program, "another key")), &file).unwrap();
        assert_eq!(dir.load(Kind::Program, KEY), None, "another key's file");
        // The same key under another kind.
        dir.store(Kind::Rates, KEY, &payload).unwrap();
        std::fs::copy(scratch.0.join(Dir::file_name(Kind::Rates, KEY)), &file).unwrap();
        assert_eq!(dir.load(Kind::Program, KEY), None, "another kind's file");
        // Stored again, it is whole again.
        dir.store(Kind::Program, KEY, &payload).unwrap();
        assert_eq!(dir.load(Kind::Program, KEY).as_deref(), Some(&payload[..]));
        assert_eq!(std::fs::read(&file).unwrap(), good);
    }

    #[test]
    fn decode_accepts_only_what_encode_wrote() {
        let bytes = encode(b"k", b"payload");
        assert_eq!(decode(b"k", &bytes), Some(&b"payload"[..]));
        assert_eq!(decode(b"K", &bytes), None);
        assert_eq!(decode(b"kk", &bytes), None);
        assert_eq!(decode(b"", &encode(b"", b"")), Some(&b""[..]));
        // A payload length that would overflow the sum.
        let mut huge = bytes.clone();
        huge[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(decode(b"k", &huge), None);
    }

    #[test]
    fn links_at_an_entry_are_neither_read_nor_followed() {
        let scratch = Scratch::new("links");
        let path = scratch.0.join("cache");
        let dir = Dir::open(&path).unwrap();
        let name = Dir::file_name(Kind::Rates, KEY);
        // A link to a whole entry, kept outside: not read.
        let outside = scratch.0.join("outside.cache");
        std::fs::write(&outside, encode(&stored_key(Kind::Rates, KEY), b"cpu=1,gpu=1,h2d=1,launch=1")).unwrap();
        std::os::unix::fs::symlink(&outside, path.join(&name)).unwrap();
        assert_eq!(dir.load(Kind::Rates, KEY), None, "a link to a valid entry was read");
        // A store replaces the link; its target is unchanged.
        let before = std::fs::read(&outside).unwrap();
        dir.store(Kind::Rates, KEY, b"cpu=2,gpu=2,h2d=2,launch=2").unwrap();
        assert_eq!(std::fs::read(&outside).unwrap(), before, "the link's target was written");
        assert!(std::fs::symlink_metadata(path.join(&name)).unwrap().file_type().is_file());
        assert_eq!(dir.load(Kind::Rates, KEY).as_deref(), Some(&b"cpu=2,gpu=2,h2d=2,launch=2"[..]));
        // A dangling link: a store does not create its target.
        std::fs::remove_file(path.join(&name)).unwrap();
        let target = scratch.0.join("would-be-created");
        std::os::unix::fs::symlink(&target, path.join(&name)).unwrap();
        assert_eq!(dir.load(Kind::Rates, KEY), None);
        dir.store(Kind::Rates, KEY, b"x").unwrap();
        assert!(!target.exists(), "a store created the dangling link's target");
        assert_eq!(names(&path), vec![name]);
    }

    #[test]
    fn other_things_at_an_entry_are_not_read() {
        let scratch = Scratch::new("things");
        let dir = Dir::open(&scratch.0).unwrap();
        let name = Dir::file_name(Kind::Rates, KEY);
        let file = scratch.0.join(&name);
        // A FIFO: not opened for long (O_NONBLOCK), not read.
        let fifo = CString::new(file.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert_eq!(dir.load(Kind::Rates, KEY), None, "FIFO");
        std::fs::remove_file(&file).unwrap();
        // A whole entry that group or others can write.
        dir.store(Kind::Rates, KEY, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o620)).unwrap();
        assert_eq!(dir.load(Kind::Rates, KEY), None, "group-writable file");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(dir.load(Kind::Rates, KEY).as_deref(), Some(&b"x"[..]));
        // A whole entry owned by another user (only root can make one).
        if euid() == 0 {
            std::os::unix::fs::chown(&file, Some(65534), None).unwrap();
            assert_eq!(dir.load(Kind::Rates, KEY), None, "file owned by uid 65534");
        } else {
            println!("note: not root, so the case of a file owned by another user is not tested");
        }
    }

    #[test]
    fn a_failed_write_leaves_no_temporary() {
        let scratch = Scratch::new("failed-write");
        let dir = Dir::open(&scratch.0).unwrap();
        // A directory at the name: the rename fails.
        let name = Dir::file_name(Kind::Program, KEY);
        std::fs::create_dir(scratch.0.join(&name)).unwrap();
        std::fs::write(scratch.0.join(&name).join("inside"), b"").unwrap();
        assert!(dir.store(Kind::Program, KEY, b"payload").is_err());
        assert_eq!(names(&scratch.0), vec![name]);
        assert_eq!(dir.load(Kind::Program, KEY), None);
    }

    /// `Dir::open_or_warn` on `path`: whether it opened, and the warnings.
    fn try_open(path: &Path) -> (bool, Vec<String>) {
        let mut warnings = Vec::new();
        let opened = Dir::open_or_warn(path, "LAPACK_AI_CACHE_DIR", &mut |m| warnings.push(m.to_string())).is_some();
        (opened, warnings)
    }

    #[test]
    fn unsafe_directories_are_refused_with_one_warning() {
        let scratch = Scratch::new("refused");
        let mut cases: Vec<(PathBuf, &str)> = Vec::new();
        for (name, mode, why) in [
            ("group-writable", 0o770, "writable by group or others (mode 0770)"),
            ("world-writable", 0o707, "writable by group or others (mode 0707)"),
            ("sticky-world-writable", 0o1777, "writable by group or others (mode 1777)"),
        ] {
            let path = scratch.0.join(name);
            std::fs::create_dir(&path).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            cases.push((path, why));
        }
        let good = scratch.0.join("good");
        std::fs::create_dir(&good).unwrap();
        std::fs::set_permissions(&good, std::fs::Permissions::from_mode(0o700)).unwrap();
        let link = scratch.0.join("link");
        std::os::unix::fs::symlink(&good, &link).unwrap();
        cases.push((link.clone(), "it is a symbolic link"));
        // With a trailing slash the link would be followed by open(2).
        cases.push((scratch.0.join("link/"), "it is a symbolic link"));
        let file = scratch.0.join("file");
        std::fs::write(&file, b"").unwrap();
        cases.push((file.clone(), "it is not a directory"));
        cases.push((file.join("below"), "cannot examine it"));
        cases.push((PathBuf::new(), "the path is empty"));
        if euid() == 0 {
            let theirs = scratch.0.join("theirs");
            std::fs::create_dir(&theirs).unwrap();
            std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o700)).unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), None).unwrap();
            cases.push((theirs, "it is owned by uid 65534, not by this process's user (uid 0)"));
        } else {
            println!("note: not root, so the case of a directory owned by another user is not tested");
        }
        for (path, why) in &cases {
            let (opened, warnings) = try_open(path);
            assert!(!opened, "{} was used", path.display());
            assert_eq!(warnings.len(), 1, "{}: {warnings:?}", path.display());
            let w = &warnings[0];
            assert!(w.contains(why), "{}: {w}", path.display());
            assert!(w.contains(&format!("cache directory {} ", path.display())), "{w}");
            assert!(w.contains("To fix: "), "{w}");
        }
        // Nothing was created in refused directories, nor through the link.
        assert!(names(&good).is_empty());
        for name in ["group-writable", "world-writable", "sticky-world-writable"] {
            assert!(names(&scratch.0.join(name)).is_empty(), "{name}");
        }
        let (opened, warnings) = try_open(&good);
        assert!(opened && warnings.is_empty(), "{warnings:?}");
    }
}
