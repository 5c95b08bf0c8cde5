//! A global allocator for tests that counts live heap bytes per thread and their peak, so one
//! read can be measured on its own while other tests run on other threads. A test binary
//! installs it with `#[global_allocator] static GLOBAL: common::alloc::Watch = common::alloc::Watch;`.

/// Counts live heap bytes per thread and their peak, so a read can be measured on its own
/// while other tests run on other threads: a corrupted count that drives many small
/// allocations shows as clearly as one large one.
pub struct Watch;
thread_local! {
    static LIVE: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
    static PEAK: std::cell::Cell<isize> = const { std::cell::Cell::new(0) };
}

fn account(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + delta;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

// SAFETY: forwards to the system allocator, only counting sizes in thread-locals without
// destructors (no allocation happens while counting).
unsafe impl std::alloc::GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        account(layout.size() as isize);
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        account(-(layout.size() as isize));
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        account(new_size as isize - layout.size() as isize);
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` and returns its result with the peak of live heap bytes it added on this thread.
pub fn peak_live<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(base));
    let r = f();
    let peak = PEAK.with(|p| p.get()) - base;
    (r, peak.max(0) as usize)
}
