//! The `fanfare` binary: a thin wrapper around [`fanfare::cli::run`].

/// mimalloc serves the Rust heap: under fan-page load glibc malloc (one arena,
/// see [`tune_malloc`]) took about 28% of the process's CPU, most of it
/// consolidating and locking its single arena (BENCHMARKS.md, P2).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    tune_malloc();
    #[cfg(target_os = "linux")]
    tune_worker_process();
    if let Err(err) = fanfare::cli::run() {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

// mimalloc's options, by their numbers in the `mi_option_t` enum of mimalloc v3
// (`c_src/mimalloc/v3/include/mimalloc.h` of libmimalloc-sys 0.1.49, pinned to
// that exact version in Cargo.toml). The crate's own constants follow mimalloc
// v2's numbering.
const MI_OPTION_ARENA_EAGER_COMMIT: std::os::raw::c_int = 4;
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;

extern "C" {
    fn mi_option_set(option: std::os::raw::c_int, value: std::os::raw::c_long);
}

/// mimalloc keeps freed memory for a second and commits whole arenas up front;
/// under webhook load that held the peak RSS at 121 MB against 61 MB with both
/// off (P6 in BENCHMARKS.md: at most 64 MB); the request rate did not suffer.
/// Freed pages go back to the system at once instead. The arena setting counts
/// only before the first arena exists, i.e. before the Rust runtime's first
/// allocation, so this runs as an ELF constructor, ahead of `main`, and reads the
/// environment with `getenv` (which does not allocate). `MIMALLOC_ARENA_EAGER_COMMIT`
/// and `MIMALLOC_PURGE_DELAY` in the environment still win.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static TUNE_MIMALLOC: extern "C" fn() = tune_mimalloc;

#[cfg(target_os = "linux")]
extern "C" fn tune_mimalloc() {
    for (var, option) in [
        (c"MIMALLOC_ARENA_EAGER_COMMIT", MI_OPTION_ARENA_EAGER_COMMIT),
        (c"MIMALLOC_PURGE_DELAY", MI_OPTION_PURGE_DELAY),
    ] {
        // SAFETY: getenv reads the environment block, which nothing changes this
        // early; mi_option_set stores a plain integer option.
        unsafe {
            if libc::getenv(var.as_ptr()).is_null() {
                mi_option_set(option, 0);
            }
        }
    }
}

/// A `fanfare worker` process (no HTTP, not bound by P6's 64 MB) keeps freed
/// memory for 100 ms before giving it back. Each job round frees almost all it
/// allocated (bodies, parsed events, rows) and the next round allocates it
/// again: given back at once, those pages were faulted in anew every round,
/// and page faults (21%) and `madvise` (8%) took over a quarter of the worker's
/// CPU samples under P3
/// (BENCHMARKS.md: 14.9-16.9 us of CPU per event with no delay, 11.8-14.8 with
/// 100 ms, peak RSS 46 MB against 54-58 MB). `fanfare serve` keeps the delay
/// at 0: with 10 ms its peak RSS under P1 reached 63.7 MB. An explicit
/// `MIMALLOC_PURGE_DELAY` still wins.
#[cfg(target_os = "linux")]
fn tune_worker_process() {
    if std::env::args_os().nth(1).is_some_and(|a| a == "worker")
        && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none()
    {
        // SAFETY: mi_option_set stores a plain integer option, read when
        // mimalloc next considers giving memory back.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 100) };
    }
}

/// glibc gives busy threads their own malloc arenas (up to 8 per core) and keeps
/// freed memory in each; with actix, tokio and the blocking pool that is many
/// arenas, and under webhook load over 10 MB of peak resident memory went to them
/// (P6 in BENCHMARKS.md: 74-76 MB peak with the default, 65 MB with two arenas,
/// 62 MB with one, at the same request rate). Allocation is a few percent of the
/// process's CPU, so sharing one arena costs little. An explicit
/// `MALLOC_ARENA_MAX` in the environment still wins.
///
/// The mmap threshold is fixed too (see below); `MALLOC_MMAP_THRESHOLD_` wins.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists;
        // mallopt only adjusts allocator parameters.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        // A fixed threshold: buffers of 128 KiB and more (a group of webhook
        // bodies, a worker's chunk of parsed deliveries) are mapped and given back
        // to the system when freed. glibc's default raises the threshold after
        // the first such free, after which they stay in the heap and hold the
        // peak RSS up (P6).
        // SAFETY: as above.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 256 * 1024);
        }
    }
}
