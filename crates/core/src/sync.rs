//! Mutex and RwLock access that ignores poisoning. Every section these locks guard leaves its data
//! whole at each step (a map entry inserted or removed, a value replaced), so the data behind a
//! poisoned lock is still good, and one panicked task must not stop the server or the writer.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Lock, recovering the guard of a poisoned lock.
pub trait Recover<T> {
    fn lock_or_recover(&self) -> MutexGuard<'_, T>;
}

impl<T> Recover<T> for Mutex<T> {
    fn lock_or_recover(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Read and write locks, recovering the guard of a poisoned lock.
pub trait RecoverRw<T> {
    fn read_or_recover(&self) -> RwLockReadGuard<'_, T>;
    fn write_or_recover(&self) -> RwLockWriteGuard<'_, T>;
}

impl<T> RecoverRw<T> for RwLock<T> {
    fn read_or_recover(&self) -> RwLockReadGuard<'_, T> {
        self.read().unwrap_or_else(|p| p.into_inner())
    }
    fn write_or_recover(&self) -> RwLockWriteGuard<'_, T> {
        self.write().unwrap_or_else(|p| p.into_inner())
    }
}
