//! `PreparedApply`: committed pages checked against the shape they patch (page size, database
//! size, contiguity), ready for an install that cannot fail. Also the shape of whole images.

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
    /// Bytes of page data a whole database of this shape holds.
    pub fn bytes(&self) -> u64 {
        self.db_size_pages as u64 * self.page_size.unwrap_or(0) as u64
    }
}

/// Validated pages ready to install: sorted by page number, deduplicated, contiguous with the
/// shape they were prepared against (a partial store may lack pages, listed in `absent`).
#[derive(Debug)]
pub struct PreparedApply {
    pub(super) position: Position,
    pub(super) reset: bool,
    pub(super) shape: Shape,
    pub(super) pages: Vec<(u32, Box<[u8]>)>,
    /// Pages the commit changed whose new content was not kept: evicted at install.
    pub(super) absent: Vec<u32>,
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

/// Validates `committed` against `base` (the store's shape, or the shape after applies that are
/// queued before it). With `partial`, pages the commit adds may be missing (fetched on demand);
/// page 1 is still required to start a database.
pub fn prepare(base: Shape, committed: CommittedPages, partial: bool) -> Result<PreparedApply> {
    let CommittedPages { replace, position, db_size_pages, pages, dropped } = committed;
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
    let first_new = base.db_size_pages + 1;
    if partial {
        if db_size_pages > 0 && base.db_size_pages == 0 && !by_pgno.contains_key(&1) {
            return Err(Error::InvalidPages("the replica is empty and page 1 is missing".into()));
        }
    } else if let Some(missing) = (first_new..=db_size_pages).find(|n| !by_pgno.contains_key(n)) {
        return Err(Error::InvalidPages(format!(
            "database grows from {} to {db_size_pages} pages but page {missing} is missing",
            base.db_size_pages
        )));
    }
    let mut absent: Vec<u32> =
        dropped.into_iter().filter(|p| *p <= db_size_pages && !by_pgno.contains_key(p)).collect();
    absent.sort_unstable();
    absent.dedup();
    let shape = Shape { page_size: (page_size > 0).then_some(page_size), db_size_pages };
    Ok(PreparedApply { position, reset: replace, shape, pages: by_pgno.into_iter().collect(), absent })
}

/// The shape of a whole database image, if it is one a store can hold. An empty image is a
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
    let shape = image_shape(image)?;
    let size = shape.page_size.unwrap_or(1) as usize;
    let pages = image.chunks(size).zip(1u32..).map(|(chunk, pgno)| (pgno, Box::from(chunk))).collect();
    Ok(PreparedApply { position, reset: true, shape, pages, absent: Vec::new() })
}

/// Like `prepare_image`, but takes the image and gives its memory back while splitting it into
/// pages (from the end, in steps of about 1 MiB), so a large download and its pages are never both
/// held in full: the peak is the image plus about 1 MiB.
pub fn prepare_image_owned(mut image: Vec<u8>, position: Position) -> Result<PreparedApply> {
    const RELEASE_STEP: usize = 1 << 20;
    let shape = image_shape(&image)?;
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
    Ok(PreparedApply { position, reset: true, shape, pages, absent: Vec::new() })
}
