//! `FetchBody`: a fetch response's body, read into wasm memory. A byte stream (what every
//! runtime's own `fetch` returns) is read with a BYOB reader into one reused buffer, each read
//! asking for `FILL` bytes (`min`), so the body crosses into wasm in a few large copies whatever
//! size of chunks the runtime delivers (workerd delivers 4 KiB: 6,000 wasm calls, promises and
//! copies for 25 MB before). Any other stream (an injected `fetch`'s) is read with the default
//! reader, one runtime chunk at a time. Chunks handed out are at most `MAX_CHUNK` bytes.

use js_sys::{ArrayBuffer, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStream, ReadableStreamDefaultReader};

use super::fetch::{classify, Timer};
use crate::transport::{BodyStream, BoxFuture, TransportError, MAX_CHUNK};

/// Bytes a BYOB read asks for before it resolves (fewer at the end of the body, or where the
/// runtime does not know `min` yet).
const FILL: u32 = 64 << 10;

#[wasm_bindgen]
extern "C" {
    /// A `ReadableStream`, for `getReader(options)` (which throws when asked for a BYOB reader of a
    /// stream that is not a byte stream; web-sys's binding does not catch).
    type Stream;

    #[wasm_bindgen(method, catch, js_name = getReader)]
    fn get_reader_with(this: &Stream, options: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = getReader)]
    fn get_default_reader(this: &Stream) -> Result<JsValue, JsValue>;

    /// A `ReadableStreamBYOBReader`, for `read(view, { min })` (web-sys has no `min`).
    type ByobReader;

    #[wasm_bindgen(method, catch, js_name = read)]
    fn read_into(this: &ByobReader, view: &Uint8Array, options: &JsValue) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method)]
    fn cancel(this: &ByobReader) -> Promise;
}

/// How a body is read.
pub(super) struct Reader(Kind);

enum Kind {
    /// A byte stream's BYOB reader, the `{ min }` of its reads, and the buffer the next read fills
    /// (the one the previous read gave back).
    Byob {
        reader: ByobReader,
        options: JsValue,
        buffer: Option<ArrayBuffer>,
    },
    Default(ReadableStreamDefaultReader),
}

impl Reader {
    /// A BYOB reader when the stream is a byte stream, the default reader otherwise.
    pub(super) fn of(stream: &ReadableStream) -> Result<Reader, JsValue> {
        let byob = Object::new();
        Reflect::set(&byob, &"mode".into(), &"byob".into())?;
        let stream = stream.unchecked_ref::<Stream>();
        if let Ok(reader) = stream.get_reader_with(&byob) {
            let options = Object::new();
            Reflect::set(&options, &"min".into(), &FILL.into())?;
            return Ok(Reader(Kind::Byob { reader: reader.unchecked_into(), options: options.into(), buffer: None }));
        }
        Ok(Reader(Kind::Default(stream.get_default_reader()?.dyn_into()?)))
    }

    /// The next read's `{done, value}`.
    async fn read(&mut self) -> Result<JsValue, JsValue> {
        match &mut self.0 {
            Kind::Default(reader) => JsFuture::from(reader.read()).await,
            Kind::Byob { reader, options, buffer } => {
                let into = buffer.take().unwrap_or_else(|| ArrayBuffer::new(FILL));
                let result = JsFuture::from(reader.read_into(&Uint8Array::new(&into), options)?).await?;
                // The stream hands the buffer back, filled, as the value's: the next read reuses it.
                if let Ok(value) = Reflect::get(&result, &"value".into())?.dyn_into::<Uint8Array>() {
                    *buffer = value.buffer().dyn_into().ok();
                }
                Ok(result)
            }
        }
    }

    fn cancel(&self) {
        let _ = match &self.0 {
            Kind::Byob { reader, .. } => reader.cancel(),
            Kind::Default(reader) => reader.cancel(),
        };
    }
}

/// A response body read from its `ReadableStream`.
pub(super) struct FetchBody {
    /// `None` once the body has ended or failed.
    reader: Option<Reader>,
    /// The bytes of the last read and how much of them was handed out.
    current: Option<Uint8Array>,
    at: u32,
    /// The last read said the body ends after `current`.
    last: bool,
    controller: AbortController,
    timeout_ms: u32,
    /// Cleared (dropped) when the body ends.
    timer: Timer,
}

impl FetchBody {
    pub(super) fn new(reader: Option<Reader>, controller: AbortController, timeout_ms: u32, timer: Timer) -> FetchBody {
        FetchBody { reader, current: None, at: 0, last: false, controller, timeout_ms, timer }
    }

    fn end(&mut self) {
        self.reader = None;
        self.current = None;
        self.timer.clear();
    }

    async fn next(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        loop {
            if let Some(array) = &self.current {
                let len = array.length();
                if self.at < len {
                    let end = self.at.saturating_add(MAX_CHUNK as u32).min(len);
                    let chunk = array.subarray(self.at, end).to_vec();
                    self.at = end;
                    return Ok(Some(chunk));
                }
                self.current = None;
            }
            let Some(reader) = self.reader.as_mut().filter(|_| !self.last) else {
                self.end();
                return Ok(None);
            };
            let result = match reader.read().await {
                Ok(result) => result,
                Err(e) => {
                    let error = classify(&e, Some(&self.controller), self.timeout_ms);
                    self.end();
                    return Err(error);
                }
            };
            let done = Reflect::get(&result, &"done".into()).map_or(true, |d| d.is_truthy());
            let value = Reflect::get(&result, &"value".into()).unwrap_or(JsValue::UNDEFINED);
            // A BYOB read that ends the body may still carry its last bytes.
            match value.dyn_into::<Uint8Array>() {
                Ok(array) => {
                    self.current = Some(array);
                    self.at = 0;
                    self.last = done;
                }
                Err(_) if done => {
                    self.end();
                    return Ok(None);
                }
                Err(_) => {
                    self.end();
                    return Err(TransportError::Network("response body chunk is not a Uint8Array".into()));
                }
            }
        }
    }
}

impl BodyStream for FetchBody {
    fn next_chunk(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        Box::pin(self.next())
    }
}

impl Drop for FetchBody {
    fn drop(&mut self) {
        // Not read to the end: release the connection instead of letting the rest arrive.
        if let Some(reader) = self.reader.take() {
            reader.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use js_sys::{Function, Uint8Array};
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use web_sys::{AbortController, ReadableStream};

    use super::{FetchBody, Kind, Reader};
    use crate::transport::{TransportError, MAX_CHUNK};
    use crate::wasm::fetch::Timer;

    /// A stream enqueueing chunks of these sizes (byte i of the body is `i % 251`), then closing,
    /// or erroring when `fail`; a byte stream when `bytes`.
    fn stream(sizes: &[u32], bytes: bool, fail: bool) -> ReadableStream {
        let make = Function::new_with_args(
            "sizes, bytes, fail",
            "let at = 0, i = 0;
             return new ReadableStream({
               type: bytes ? 'bytes' : undefined,
               pull(c) {
                 if (i === sizes.length) {
                   if (fail) c.error(new TypeError('connection reset'));
                   // A byte stream's pending BYOB read ends with respond(0) after close().
                   else { c.close(); if (c.byobRequest) c.byobRequest.respond(0); }
                   return;
                 }
                 const chunk = new Uint8Array(sizes[i++]);
                 for (let k = 0; k < chunk.length; k++) chunk[k] = (at + k) % 251;
                 at += chunk.length;
                 c.enqueue(chunk);
               },
             });",
        );
        let sizes: js_sys::Array = sizes.iter().map(|&s| wasm_bindgen::JsValue::from(s)).collect();
        make.call3(&wasm_bindgen::JsValue::NULL, &sizes, &bytes.into(), &fail.into()).unwrap().unchecked_into()
    }

    async fn read_all(stream: &ReadableStream) -> (Result<Vec<u8>, TransportError>, bool) {
        let reader = Reader::of(stream).unwrap();
        let byob = matches!(reader.0, Kind::Byob { .. });
        let controller = AbortController::new().unwrap();
        let timer = Timer::start(&controller, 10_000);
        let mut body = FetchBody::new(Some(reader), controller, 10_000, timer);
        let mut out = Vec::new();
        loop {
            match body.next().await {
                Ok(Some(chunk)) => {
                    assert!(!chunk.is_empty() && chunk.len() <= MAX_CHUNK, "chunk of {} bytes", chunk.len());
                    out.extend_from_slice(&chunk);
                }
                Ok(None) => return (Ok(out), byob),
                Err(e) => return (Err(e), byob),
            }
        }
    }

    fn expected(len: u32) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    async fn byte_streams_are_read_with_byob_whole_and_in_order() {
        // Tiny, page-sized and larger-than-the-buffer chunks; the stream closes mid-fill.
        let sizes = [1, 4096, 70_000, 3, 300_000, 5];
        let (body, byob) = read_all(&stream(&sizes, true, false)).await;
        assert!(byob, "a byte stream gets a BYOB reader");
        assert_eq!(body.unwrap(), expected(sizes.iter().sum()));
        let (empty, _) = read_all(&stream(&[], true, false)).await;
        assert_eq!(empty.unwrap(), Vec::<u8>::new());
    }

    #[test]
    async fn other_streams_are_read_chunk_by_chunk() {
        let sizes = [10, 300_000, 7];
        let (body, byob) = read_all(&stream(&sizes, false, false)).await;
        assert!(!byob, "a default stream cannot have a BYOB reader");
        assert_eq!(body.unwrap(), expected(sizes.iter().sum()));
    }

    #[test]
    async fn a_stream_error_is_a_network_error_on_either_reader() {
        for bytes in [true, false] {
            let (body, _) = read_all(&stream(&[4096, 4096], bytes, true)).await;
            match body {
                Err(TransportError::Network(message)) => assert!(message.contains("connection reset"), "{message}"),
                other => panic!("bytes={bytes}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_view_is_not_a_stream() {
        // Reader::of needs a stream; anything else is an error, not a panic.
        let not_a_stream: ReadableStream = Uint8Array::new_with_length(4).unchecked_into();
        assert!(Reader::of(&not_a_stream).is_err());
    }
}
