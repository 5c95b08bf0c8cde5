//! How a run's memory follows the jobs running, not the jobs done: the system allocator is told
//! to give large buffers back when they are freed, and what a finished job (or a job's finished
//! part) freed is given back at once.

/// Makes the system allocator give large buffers (decoded frames, a photo's pixels) back to the
/// system when they are freed. glibc's default raises its mmap threshold as large blocks are
/// freed, after which they come from its heaps and stay: a motion photo's job, a 24 MP still
/// then an HEVC clip, peaked at 400 MB alone (290 MB with this) and 550 MB at two jobs (408 MB).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter, before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Gives what a finished job freed back to the system. glibc keeps freed memory in per-thread
/// arenas, so without this a run's resident memory creeps up job by job (20 iOS 18 clips at
/// 2 jobs: 415 MB against 387 MB for 4).
pub fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system; it touches no live data.
    unsafe {
        libc::malloc_trim(0);
    }
}
