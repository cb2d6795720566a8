//! `ImageDecoder`: a whole SQLite database file (Turso HTTP sync `/export/{generation}`) read
//! incrementally and cut into pages as it arrives. The page size comes from the header (offset 16,
//! [`crate::db_header`]) of the first page; the decoder holds at most one page plus the chunk being
//! read. The caller decides how many pages it accepts (a memory budget); `finish` rejects a body
//! that ends inside a page.

use crate::chunks::Pending;
use crate::db_header;
use crate::error::{Error, Result};

/// Cuts a database image into pages.
#[derive(Debug, Default)]
pub struct ImageDecoder {
    pending: Pending,
    page_size: Option<u32>,
    pages: u32,
}

impl ImageDecoder {
    /// Feeds the next bytes; calls `on_page(pgno, page)` for every page completed (1-based page
    /// numbers, in order). Fails on a first page that is not a SQLite header. The callback may stop
    /// the decoder with an error of its own type, which `feed` returns.
    pub fn feed<E: From<Error>>(
        &mut self,
        chunk: &[u8],
        mut on_page: impl FnMut(u32, Vec<u8>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if let Some(size) = self.page_size.map(|s| s as usize) {
            return self.feed_pages(chunk, size, on_page);
        }
        self.pending.push(chunk);
        loop {
            let page_size = match self.page_size {
                Some(size) => size,
                None => {
                    if self.pending.len() < db_header::HEADER_LEN {
                        return Ok(());
                    }
                    let header = self.pending.bytes();
                    if !db_header::has_magic(header) {
                        return Err(
                            Error::InvalidField { field: "database image", value: "no SQLite magic".into() }.into()
                        );
                    }
                    let size = db_header::page_size(header).ok_or_else(|| Error::InvalidField {
                        field: "database image page size",
                        value: format!("{:?}", &header[16..18]),
                    })?;
                    self.page_size = Some(size);
                    size
                }
            };
            let Some(page) = self.pending.take(page_size as usize) else { return Ok(()) };
            self.emit(page, &mut on_page)?;
        }
    }

    /// `feed` once the page size is known: the page begun in `pending` is completed from the head
    /// of `chunk`, whole pages are cut straight out of `chunk` (one copy per byte, not two), and
    /// only the tail waits in `pending` (less than a page, as after every `feed`).
    fn feed_pages<E: From<Error>>(
        &mut self,
        chunk: &[u8],
        size: usize,
        mut on_page: impl FnMut(u32, Vec<u8>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut rest = chunk;
        if !self.pending.is_empty() {
            let need = size.saturating_sub(self.pending.len());
            if rest.len() < need {
                self.pending.push(rest);
                return Ok(());
            }
            self.pending.push(&rest[..need]);
            rest = &rest[need..];
            if let Some(page) = self.pending.take(size) {
                self.emit(page, &mut on_page)?;
            }
        }
        while rest.len() >= size {
            let (page, tail) = rest.split_at(size);
            self.emit(page.to_vec(), &mut on_page)?;
            rest = tail;
        }
        self.pending.push(rest);
        Ok(())
    }

    /// Numbers the next page and hands it on.
    fn emit<E: From<Error>>(
        &mut self,
        page: Vec<u8>,
        on_page: &mut impl FnMut(u32, Vec<u8>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.pages = self
            .pages
            .checked_add(1)
            .ok_or(Error::InvalidField { field: "database image", value: "more pages than SQLite allows".into() })?;
        on_page(self.pages, page)
    }

    /// The page size, once the header has arrived.
    pub fn page_size(&self) -> Option<u32> {
        self.page_size
    }

    /// Pages completed so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Checks that the body ended on a page boundary (an empty body is a database of 0 pages).
    pub fn finish(&self) -> Result<()> {
        if !self.pending.is_empty() {
            let needed = self.page_size.map_or(db_header::HEADER_LEN, |s| s as usize);
            return Err(Error::Truncated { what: "database image page", needed, got: self.pending.len() });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn image(page_size: u32, pages: u32) -> Vec<u8> {
        let mut out = Vec::new();
        for n in 1..=pages {
            let mut page = vec![n as u8; page_size as usize];
            if n == 1 {
                page[..16].copy_from_slice(db_header::MAGIC);
                let field = if page_size == 65536 { 1 } else { page_size as u16 };
                page[16..18].copy_from_slice(&field.to_be_bytes());
            }
            out.extend_from_slice(&page);
        }
        out
    }

    fn decode_in(body: &[u8], step: usize) -> Result<Vec<(u32, Vec<u8>)>> {
        let mut d = ImageDecoder::default();
        let mut out = Vec::new();
        for chunk in body.chunks(step.max(1)) {
            d.feed(chunk, |n, p| {
                out.push((n, p));
                Ok(())
            })?;
        }
        d.finish()?;
        Ok(out)
    }

    #[test]
    fn image_is_cut_into_pages_at_every_chunk_size() {
        for page_size in [512, 4096, 65536] {
            let body = image(page_size, 3);
            for step in [1, 7, 100, 511, 4096, 5000, body.len()] {
                let pages = decode_in(&body, step).unwrap();
                assert_eq!(pages.len(), 3);
                assert_eq!(pages.concat_pages(), body, "page size {page_size}, step {step}");
            }
        }
        assert!(decode_in(&[], 10).unwrap().is_empty());
    }

    trait Concat {
        fn concat_pages(&self) -> Vec<u8>;
    }
    impl Concat for Vec<(u32, Vec<u8>)> {
        fn concat_pages(&self) -> Vec<u8> {
            self.iter()
                .enumerate()
                .flat_map(|(i, (n, p))| {
                    assert_eq!(*n as usize, i + 1);
                    p.clone()
                })
                .collect()
        }
    }

    #[test]
    fn truncated_and_garbage_images_are_errors() {
        let body = image(4096, 2);
        assert_eq!(decode_in(&body[..5000], 1000).unwrap_err().code(), "TRUNCATED");
        assert_eq!(decode_in(&body[..50], 10).unwrap_err().code(), "TRUNCATED");
        let mut bad = body.clone();
        bad[0] = b'X';
        assert_eq!(decode_in(&bad, 4096).unwrap_err().code(), "INVALID_FIELD");
        let mut bad = body;
        bad[16..18].copy_from_slice(&1000u16.to_be_bytes());
        assert_eq!(decode_in(&bad, 4096).unwrap_err().code(), "INVALID_FIELD");
    }

    #[test]
    fn the_callback_can_stop_the_decoder() {
        let body = image(4096, 5);
        let mut d = ImageDecoder::default();
        let mut seen = 0;
        let err = d
            .feed(&body, |n, _| {
                seen = n;
                if n == 2 {
                    Err(Error::InvalidField { field: "test", value: "stop".into() })
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
        assert_eq!((seen, err.code()), (2, "INVALID_FIELD"));
    }
}
