//! Turso Sync `/pull-updates` bodies (`pull_updates.rs`, `pull_updates/stream.rs`): the three ways
//! to decode a response must agree (whole body, owned body given back while decoding, and the
//! streaming `ResponseDecoder` fed in chunks of any size); the request body decodes or fails
//! cleanly and survives encode + decode; the streaming decoder never holds more than it was fed.
//!
//! Input: `[chunking seed] ++ body`; the body is read as a response and as a request.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge_fuzz::input::Input;
use libsql_edge_protocol::pull_updates::{
    decode_request, decode_response, decode_response_owned, encode_request, encode_response, ResponseDecoder,
    ResponseItem,
};

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let seed = input.byte();
    let body = input.rest();

    let whole = decode_response(body);
    let owned = decode_response_owned(body.to_vec());
    assert_eq!(whole.is_ok(), owned.is_ok(), "whole {whole:?} vs owned {owned:?}");
    if let (Ok(a), Ok(b)) = (&whole, &owned) {
        assert_eq!(a, b);
    }

    // The same body in chunks whose sizes follow the seed (1 byte up to everything at once).
    let mut decoder = ResponseDecoder::default();
    let mut items = Vec::new();
    let mut fed = 0usize;
    let mut state = u32::from(seed) | 1;
    let mut result = Ok(());
    while fed < body.len() && result.is_ok() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let size = match seed % 4 {
            0 => body.len(),
            1 => 1,
            _ => 1 + (state >> 16) as usize % 97,
        };
        let end = (fed + size).min(body.len());
        result = decoder.feed(&body[fed..end], |item| -> Result<(), libsql_edge::protocol::Error> {
            items.push(item);
            Ok(())
        });
        fed = end;
        assert!(decoder.buffered() <= fed, "the decoder holds more than it was given");
    }
    let streamed = result.and_then(|()| decoder.finish());
    assert_eq!(streamed.is_ok(), whole.is_ok(), "streamed {streamed:?} vs whole {whole:?}");
    if let Ok(response) = &whole {
        let mut expected = vec![ResponseItem::Header(response.header.clone())];
        expected.extend(response.pages.iter().cloned().map(ResponseItem::Page));
        assert_eq!(items, expected);
        // Re-encoding gives a body that decodes the same.
        let again = decode_response(&encode_response(&response.header, &response.pages));
        assert_eq!(again.as_ref(), Ok(response));
    }

    if let Ok(request) = decode_request(body) {
        assert_eq!(decode_request(&encode_request(&request)), Ok(request));
    }
});
