//! The JS package's global allocator: dlmalloc, std's own allocator on wasm32, taking linear memory
//! from the engine at least `GROWTH` bytes at a time instead of 64 KiB. Each `memory.grow` makes V8
//! replace the memory's `ArrayBuffer` and count the old one as external memory, which starts a
//! garbage collection: in 64 KiB steps a cold bootstrap of 60 MB collected 835 times (Node 22), and
//! the collections were most of the difference between a first bootstrap and a second one in the
//! same process. The cost: up to `GROWTH` bytes at the top of memory not yet handed out.

#[cfg(target_feature = "atomics")]
compile_error!("the allocator assumes one thread: wasm32 without the atomics feature");

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;

use dlmalloc::Dlmalloc;

/// The smallest step by which linear memory grows (16 wasm pages).
pub const GROWTH: usize = 1 << 20;

struct Allocator(UnsafeCell<Dlmalloc>);

// SAFETY: without the atomics target feature (checked above) a wasm instance runs one thread, and
// the allocator never calls back into itself: no two calls overlap.
unsafe impl Sync for Allocator {}

#[global_allocator]
static ALLOCATOR: Allocator = Allocator(UnsafeCell::new(
    const {
        let mut dlmalloc = Dlmalloc::new();
        assert!(dlmalloc.set_granularity(GROWTH));
        dlmalloc
    },
));

// SAFETY (all four): the calls forward `GlobalAlloc`'s contract to dlmalloc's, which has the same
// one; `&mut` to the instance is exclusive because calls never overlap (see `Sync` above).
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).malloc(layout.size(), layout.align())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).calloc(layout.size(), layout.align())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        (*self.0.get()).free(ptr, layout.size(), layout.align())
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size)
    }
}
