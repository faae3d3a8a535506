//! SQLite's errors as the core's [`StoreError`], the one error the store's functions give.

use svodka_core::archive::{Result, StoreError};

/// SQLite's error as the core's: an interrupted query (the progress handler's time limit) is
/// [`StoreError::TooSlow`].
pub fn sql(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            StoreError::TooSlow
        }
        _ => StoreError::backend(e),
    }
}

/// Runs a body of SQLite calls and gives its error as the core's (see [`sql`]): what the
/// store's public functions return.
pub(crate) fn in_sql<T>(f: impl FnOnce() -> rusqlite::Result<T>) -> Result<T> {
    f().map_err(sql)
}
