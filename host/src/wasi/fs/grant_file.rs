//! A file opened from a grant. It counts against the cell's open-files limit while it lives. From
//! a read-only grant, the host descriptor is already opened for reading only; the wrapper also
//! refuses what a read-only descriptor would still allow (setting times) and audits every attempt
//! to change the file. Every write and every growth counts against the cell's disk budget.

use super::{CellFs, GuestPath, OpenGuard};
use crate::policy::Access;
use std::any::Any;
use std::io::{IoSlice, IoSliceMut, SeekFrom};
use std::sync::Arc;
use wasi_common::file::{Advice, FdFlags, FileType, Filestat};
use wasi_common::snapshots::preview_1::types::Errno;
use wasi_common::sync::file::File;
use wasi_common::{Error, SystemTimeSpec, WasiFile};

pub(crate) struct GrantFile {
    inner: File,
    fs: Arc<CellFs>,
    guest: GuestPath,
    grant: GuestPath,
    access: Access,
    _open: OpenGuard,
}

impl GrantFile {
    pub(crate) fn new(inner: File, fs: Arc<CellFs>, guest: GuestPath, grant: GuestPath, access: Access, open: OpenGuard) -> Self {
        GrantFile { inner, fs, guest, grant, access, _open: open }
    }

    /// Refuses `op` if the file came from a read-only grant.
    fn may_change(&self, op: &'static str) -> Result<(), Error> {
        if self.access == Access::ReadOnly {
            let rule = format!("'{}' is in read-only grant {}", self.guest, self.grant);
            return Err(self.fs.deny(op, &self.guest, Access::ReadWrite, rule, Errno::Acces));
        }
        Ok(())
    }
}

/// The bytes a write would write.
fn total(bufs: &[IoSlice<'_>]) -> u64 {
    bufs.iter().map(|b| b.len() as u64).sum()
}

#[wiggle::async_trait]
impl WasiFile for GrantFile {
    fn as_any(&self) -> &dyn Any {
        self
    }
    async fn get_filetype(&self) -> Result<FileType, Error> {
        self.inner.get_filetype().await
    }
    fn isatty(&self) -> bool {
        self.inner.isatty()
    }
    async fn datasync(&self) -> Result<(), Error> {
        self.inner.datasync().await
    }
    async fn sync(&self) -> Result<(), Error> {
        self.inner.sync().await
    }
    async fn get_fdflags(&self) -> Result<FdFlags, Error> {
        self.inner.get_fdflags().await
    }
    async fn set_fdflags(&mut self, flags: FdFlags) -> Result<(), Error> {
        if flags.contains(FdFlags::APPEND) {
            self.may_change("write")?;
        }
        self.inner.set_fdflags(flags).await
    }
    async fn get_filestat(&self) -> Result<Filestat, Error> {
        self.inner.get_filestat().await
    }
    async fn set_filestat_size(&self, size: u64) -> Result<(), Error> {
        self.may_change("set-size")?;
        self.fs.check_file_size(&self.guest, size)?;
        let now = self.inner.get_filestat().await?.size;
        self.fs.charge_disk(&self.guest, size.saturating_sub(now))?;
        self.inner.set_filestat_size(size).await
    }
    async fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<(), Error> {
        self.inner.advise(offset, len, advice).await
    }
    async fn set_times(&self, atime: Option<SystemTimeSpec>, mtime: Option<SystemTimeSpec>) -> Result<(), Error> {
        self.may_change("set-times")?;
        self.inner.set_times(atime, mtime).await
    }
    async fn read_vectored<'a>(&self, bufs: &mut [IoSliceMut<'a>]) -> Result<u64, Error> {
        self.inner.read_vectored(bufs).await
    }
    async fn read_vectored_at<'a>(&self, bufs: &mut [IoSliceMut<'a>], offset: u64) -> Result<u64, Error> {
        self.inner.read_vectored_at(bufs, offset).await
    }
    async fn write_vectored<'a>(&self, bufs: &[IoSlice<'a>]) -> Result<u64, Error> {
        self.may_change("write")?;
        // The write lands at the end (append) or at the current position.
        let at = match self.inner.get_fdflags().await?.contains(FdFlags::APPEND) {
            true => self.inner.get_filestat().await?.size,
            false => self.inner.seek(SeekFrom::Current(0)).await?,
        };
        self.fs.check_file_size(&self.guest, at.saturating_add(total(bufs)))?;
        self.fs.charge_disk(&self.guest, total(bufs))?;
        self.inner.write_vectored(bufs).await
    }
    async fn write_vectored_at<'a>(&self, bufs: &[IoSlice<'a>], offset: u64) -> Result<u64, Error> {
        self.may_change("write")?;
        self.fs.check_file_size(&self.guest, offset.saturating_add(total(bufs)))?;
        self.fs.charge_disk(&self.guest, total(bufs))?;
        self.inner.write_vectored_at(bufs, offset).await
    }
    async fn seek(&self, pos: SeekFrom) -> Result<u64, Error> {
        self.inner.seek(pos).await
    }
    async fn peek(&self, buf: &mut [u8]) -> Result<u64, Error> {
        self.inner.peek(buf).await
    }
    fn num_ready_bytes(&self) -> Result<u64, Error> {
        self.inner.num_ready_bytes()
    }
    async fn readable(&self) -> Result<(), Error> {
        self.inner.readable().await
    }
    async fn writable(&self) -> Result<(), Error> {
        self.may_change("write")?;
        self.inner.writable().await
    }
}
