//! `PageStore`: the replica's database file as Rust-owned pages, plus the position those pages
//! describe. Installing a `PreparedApply` is infallible, so pages and position always change together
//! and a reader never meets half a transaction. Page 1's header is patched on every install (see
//! `header`).

use std::collections::BTreeMap;

use super::committed::CommittedPages;
use super::header;
use crate::error::{Error, Result};
use crate::protocol::Position;

/// The size and page size of a (possibly future) state of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Page size; `None` while the store has never held a page.
    pub page_size: Option<u32>,
    /// Database size in pages.
    pub db_size_pages: u32,
}

impl Shape {
    /// Bytes of page data a store of this shape holds.
    pub fn bytes(&self) -> u64 {
        self.db_size_pages as u64 * self.page_size.unwrap_or(0) as u64
    }
}

/// Validated pages ready to install: sorted by page number, deduplicated, contiguous with the
/// shape they were prepared against.
#[derive(Debug)]
pub struct PreparedApply {
    position: Position,
    reset: bool,
    shape: Shape,
    pages: Vec<(u32, Box<[u8]>)>,
}

impl PreparedApply {
    /// The store's shape once this is installed.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Where the store stands once this is installed.
    pub fn position(&self) -> &Position {
        &self.position
    }

    /// Bytes of page data held while waiting to be installed.
    pub fn page_bytes(&self) -> u64 {
        self.pages.iter().map(|(_, d)| d.len() as u64).sum()
    }
}

/// The replica's pages, in memory.
#[derive(Debug, Default)]
pub struct PageStore {
    page_size: Option<u32>,
    pages: Vec<Box<[u8]>>,
    position: Option<Position>,
    /// The replica's own file change counter: strictly increasing over the store's life, never 0
    /// after the first install, so every install changes header offset 24.
    change_counter: u32,
}

impl PageStore {
    /// The current shape.
    pub fn shape(&self) -> Shape {
        Shape { page_size: self.page_size, db_size_pages: self.pages.len() as u32 }
    }

    /// Where the stored pages stand; `None` before the first install.
    pub fn position(&self) -> Option<&Position> {
        self.position.as_ref()
    }

    /// File size in bytes.
    pub fn file_size(&self) -> u64 {
        self.shape().bytes()
    }

    /// Reads `buf.len()` bytes at `offset` as a file read would. Bytes past the end are zeroed;
    /// returns false if the read was short.
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> bool {
        let Some(page_size) = self.page_size.map(u64::from) else {
            buf.fill(0);
            return buf.is_empty();
        };
        let mut done = 0usize;
        while done < buf.len() {
            let at = offset + done as u64;
            let (index, within) = ((at / page_size) as usize, (at % page_size) as usize);
            let Some(page) = self.pages.get(index) else {
                buf[done..].fill(0);
                return false;
            };
            let n = (page.len() - within).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&page[within..within + n]);
            done += n;
        }
        true
    }

    /// The whole database file.
    pub fn export(&self) -> Vec<u8> {
        self.pages.concat()
    }

    /// Validates `committed` against `base` (the store's shape, or the shape after applies that
    /// are queued before it).
    pub fn prepare(base: Shape, committed: CommittedPages) -> Result<PreparedApply> {
        let CommittedPages { replace, position, db_size_pages, pages } = committed;
        let base = if replace { Shape { page_size: None, db_size_pages: 0 } } else { base };
        let page_size = match base.page_size.filter(|_| base.db_size_pages > 0) {
            Some(size) => size,
            None => match pages.iter().rev().find(|p| p.pgno == 1) {
                Some(p1) => header::page_size(&p1.data)
                    .ok_or_else(|| Error::InvalidPages("page 1 has no valid page size in its header".into()))?,
                None if db_size_pages == 0 => base.page_size.unwrap_or(0),
                None => return Err(Error::InvalidPages("the replica is empty and page 1 is missing".into())),
            },
        };
        let mut by_pgno = BTreeMap::new();
        for page in pages {
            if page.pgno == 0 {
                return Err(Error::InvalidPages("page number 0".into()));
            }
            if page.data.len() != page_size as usize {
                return Err(Error::InvalidPages(format!(
                    "page {} is {} bytes, page size is {page_size}",
                    page.pgno,
                    page.data.len()
                )));
            }
            if page.pgno == 1 && header::page_size(&page.data) != Some(page_size) {
                return Err(Error::InvalidPages(format!("page 1 header does not say page size {page_size}")));
            }
            if page.pgno <= db_size_pages {
                by_pgno.insert(page.pgno, page.data.into_boxed_slice());
            }
        }
        if let Some(missing) = (base.db_size_pages + 1..=db_size_pages).find(|n| !by_pgno.contains_key(n)) {
            return Err(Error::InvalidPages(format!(
                "database grows from {} to {db_size_pages} pages but page {missing} is missing",
                base.db_size_pages
            )));
        }
        let shape = Shape { page_size: (page_size > 0).then_some(page_size), db_size_pages };
        Ok(PreparedApply { position, reset: replace, shape, pages: by_pgno.into_iter().collect() })
    }

    /// The shape of a whole database image, if it is one this store can hold. An empty image is a
    /// database of 0 pages (what a fresh primary exports).
    pub fn image_shape(image: &[u8]) -> Result<Shape> {
        if image.is_empty() {
            return Ok(Shape { page_size: None, db_size_pages: 0 });
        }
        if image.len() < header::HEADER_LEN || &image[..16] != header::MAGIC {
            return Err(Error::InvalidImage("not a SQLite database (bad magic)".into()));
        }
        let page_size = header::page_size(image).ok_or_else(|| Error::InvalidImage("invalid page size".into()))?;
        if !image.len().is_multiple_of(page_size as usize) {
            return Err(Error::InvalidImage(format!(
                "{} bytes is not a whole number of {page_size}-byte pages",
                image.len()
            )));
        }
        let pages = u32::try_from(image.len() / page_size as usize)
            .map_err(|_| Error::InvalidImage("more pages than SQLite allows".into()))?;
        Ok(Shape { page_size: Some(page_size), db_size_pages: pages })
    }

    /// Validates a whole database image (borrowed: its pages are copied) as the store's new content.
    pub fn prepare_image(image: &[u8], position: Position) -> Result<PreparedApply> {
        let shape = Self::image_shape(image)?;
        let size = shape.page_size.unwrap_or(1) as usize;
        let pages = image.chunks(size).zip(1u32..).map(|(chunk, pgno)| (pgno, Box::from(chunk))).collect();
        Ok(PreparedApply { position, reset: true, shape, pages })
    }

    /// Like `prepare_image`, but takes the image and gives its memory back while splitting it into
    /// pages (from the end, in steps of about 1 MiB), so a large download and its pages are never
    /// both held in full: the peak is the image plus about 1 MiB.
    pub fn prepare_image_owned(mut image: Vec<u8>, position: Position) -> Result<PreparedApply> {
        const RELEASE_STEP: usize = 1 << 20;
        let shape = Self::image_shape(&image)?;
        let size = shape.page_size.unwrap_or(1) as usize;
        let mut pages = Vec::with_capacity(shape.db_size_pages as usize);
        for pgno in (1..=shape.db_size_pages).rev() {
            let start = (pgno as usize - 1) * size;
            pages.push((pgno, Box::from(&image[start..])));
            image.truncate(start);
            if image.capacity() - image.len() >= RELEASE_STEP {
                image.shrink_to_fit();
            }
        }
        pages.reverse();
        Ok(PreparedApply { position, reset: true, shape, pages })
    }

    /// Installs prepared pages: replaces, truncates or extends, patches page 1 and records the
    /// position. Cannot fail; `prepared` must have been prepared against the current shape. A
    /// whole-database replacement gives back what it replaced, so that the caller can `restore`
    /// it if the new database cannot be opened.
    pub fn install(&mut self, prepared: PreparedApply) -> Option<Replaced> {
        let PreparedApply { position, reset, shape, pages } = prepared;
        let replaced = reset.then(|| Replaced {
            page_size: self.page_size.take(),
            pages: std::mem::take(&mut self.pages),
            position: self.position.clone(),
        });
        self.page_size = shape.page_size.or(self.page_size);
        self.pages.truncate(shape.db_size_pages as usize);
        for (pgno, data) in pages {
            let index = pgno as usize - 1;
            if index < self.pages.len() {
                self.pages[index] = data;
            } else {
                // `prepare` checked that every new page is present, so pages arrive in order.
                self.pages.push(data);
            }
        }
        self.change_counter = match self.change_counter.wrapping_add(1) {
            0 => 1,
            n => n,
        };
        if let Some(page1) = self.pages.first_mut() {
            header::patch(page1, self.change_counter, shape.db_size_pages);
        }
        self.position = Some(position);
        replaced
    }

    /// Puts back the content a replacement took out (its pages still carry the header they had).
    pub fn restore(&mut self, replaced: Replaced) {
        let Replaced { page_size, pages, position } = replaced;
        self.page_size = page_size;
        self.pages = pages;
        self.position = position;
    }
}

/// The content a whole-database replacement took out of the store.
#[derive(Debug)]
pub struct Replaced {
    page_size: Option<u32>,
    pages: Vec<Box<[u8]>>,
    position: Option<Position>,
}
