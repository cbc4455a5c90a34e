//! The `fanfare` binary: a thin wrapper around [`fanfare::cli::run`].

fn main() {
    tune_malloc();
    if let Err(err) = fanfare::cli::run() {
        eprintln!("error: {err:#}");
        std::process::exit(1);
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
