//! The save stacks of generated reverse code, reused across calls.
//!
//! A reverse sweep through loops pushes the values it will need onto stacks
//! that start empty and grow by doubling. Allocated afresh on every call, a
//! stack of a few megabytes costs its page faults, the kernel zeroing its
//! pages and the copies of its regrowth on every call: about a fifth of the
//! GMM gradient's time was that. A [`Stack`] takes its buffer from a
//! per-thread pool and gives it back, emptied, when it is dropped, so
//! repeated calls (an optimizer's loop, a benchmark) reuse warm memory, like
//! the global stacks of Tapenade's generated code.
//!
//! The pool keeps at most [`MAX_POOLED`] buffers per element type, none over
//! [`MAX_POOLED_BYTES`]: a rare huge call does not pin its memory for the rest
//! of the thread's life.

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// Buffers kept per element type and thread.
pub const MAX_POOLED: usize = 32;

/// The largest buffer (capacity in bytes) given back to the pool.
pub const MAX_POOLED_BYTES: usize = 64 << 20;

thread_local! {
    static POOL: RefCell<HashMap<TypeId, Vec<Box<dyn Any>>>> = RefCell::new(HashMap::new());
    static POOLING: Cell<bool> = const { Cell::new(true) };
}

/// Turns the pool off (or on again) for this thread: with it off, every
/// stack allocates and frees its own buffer, so a counting allocator sees
/// exactly one call's saves (tests and memory benchmarks).
pub fn set_stack_pooling(on: bool) {
    let _ = POOLING.try_with(|p| p.set(on));
    if !on {
        release_pooled_stacks();
    }
}

fn pooling() -> bool {
    POOLING.try_with(Cell::get).unwrap_or(false)
}

/// A save stack whose buffer comes from, and returns to, a per-thread pool.
///
/// ```
/// use autodiff_runtime::__private::{pop, Stack};
/// let mut s = Stack::new();
/// s.push(1.5_f64);
/// s.push(2.5);
/// assert_eq!(s.len(), 2);
/// assert_eq!(pop(&mut s), 2.5);
/// drop(s); // its buffer goes back to the pool...
/// let again: Stack<f64> = Stack::new();
/// assert!(again.capacity() >= 2 && again.len() == 0); // ...and comes out empty
/// ```
pub struct Stack<T: 'static> {
    items: Vec<T>,
}

impl<T: 'static> Stack<T> {
    /// An empty stack, on a pooled buffer if one is free.
    #[inline]
    pub fn new() -> Self {
        if !pooling() {
            return Stack { items: Vec::new() };
        }
        let reused = POOL
            .try_with(|p| {
                let mut p = p.try_borrow_mut().ok()?;
                p.get_mut(&TypeId::of::<T>())?.pop()
            })
            .ok()
            .flatten()
            .and_then(|b| b.downcast::<Vec<T>>().ok());
        Stack {
            items: reused.map(|b| *b).unwrap_or_default(),
        }
    }

    /// Pushes a saved value.
    #[inline(always)]
    pub fn push(&mut self, value: T) {
        self.items.push(value);
    }

    /// Takes the last saved value back.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<T> {
        self.items.pop()
    }

    /// How many values are saved.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is saved.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Drops the values saved after the first `len` (a checkpointed loop's
    /// segment).
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }

    /// The buffer's capacity.
    pub fn capacity(&self) -> usize {
        self.items.capacity()
    }
}

impl<T: 'static> Default for Stack<T> {
    fn default() -> Self {
        Stack::new()
    }
}

impl<T: 'static> Drop for Stack<T> {
    fn drop(&mut self) {
        let mut items = std::mem::take(&mut self.items);
        let bytes = items.capacity().saturating_mul(std::mem::size_of::<T>());
        if bytes == 0 || bytes > MAX_POOLED_BYTES || !pooling() {
            return;
        }
        items.clear();
        // During thread teardown the pool may be gone: the buffer is then freed.
        let _ = POOL.try_with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                let list = p.entry(TypeId::of::<T>()).or_default();
                if list.len() < MAX_POOLED {
                    list.push(Box::new(items));
                }
            }
        });
    }
}

/// Frees the buffers this thread keeps for the save stacks of reverse-mode
/// derivatives. The next derivative called on this thread allocates its
/// stacks afresh. For a thread that is done with derivatives, or to measure
/// one call's memory from zero.
///
/// ```
/// use autodiff_runtime::__private::Stack;
///
/// let mut s = Stack::new();
/// for i in 0..100 {
///     s.push(i as f64);
/// }
/// drop(s); // the buffer goes to this thread's pool
/// autodiff_runtime::release_pooled_stacks(); // and is freed
/// let t: Stack<f64> = Stack::new();
/// assert_eq!(t.capacity(), 0);
/// ```
pub fn release_pooled_stacks() {
    let _ = POOL.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            p.clear();
        }
    });
}

/// What [`pop`](crate::__private::pop) pops from: a pooled [`Stack`] or a
/// plain `Vec` (the stacks of generated code that is differentiated again).
pub trait SaveStack {
    /// The saved values' type.
    type Item;
    /// The last saved value.
    fn pop_saved(&mut self) -> Option<Self::Item>;
}

impl<T> SaveStack for Vec<T> {
    type Item = T;
    #[inline(always)]
    fn pop_saved(&mut self) -> Option<T> {
        self.pop()
    }
}

impl<T: 'static> SaveStack for Stack<T> {
    type Item = T;
    #[inline(always)]
    fn pop_saved(&mut self) -> Option<T> {
        self.pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_empty_and_big_ones_are_not_kept() {
        let mut s: Stack<f64> = Stack::new();
        for i in 0..1000 {
            s.push(i as f64);
        }
        let cap = s.capacity();
        drop(s);
        let t: Stack<f64> = Stack::new();
        assert_eq!(t.len(), 0);
        assert_eq!(t.capacity(), cap);
        // another element type does not get it
        let u: Stack<u32> = Stack::new();
        assert_eq!(u.capacity(), 0);
        drop(t);
        // a buffer over the limit is freed, not pooled
        let mut big: Stack<u8> = Stack::new();
        big.push(0);
        big.items.reserve_exact(MAX_POOLED_BYTES + 1);
        drop(big);
        let small: Stack<u8> = Stack::new();
        assert_eq!(small.capacity(), 0);
    }
}
