//! [`Editor`]: builds a new message from a parsed one by splicing edits between the
//! untouched spans of the original, into one buffer sized once.

use std::cell::Cell;

use bytes::Bytes;
use smallvec::SmallVec;

use super::decimal::Decimal;
use super::error::WriteError;
use super::message::Message;
use super::name::HeaderName;
use super::span::Span;
use super::value::{AsHeaderValue, FieldName, ValueBuilder};
use super::write::check_request_uri;

#[derive(Debug, Clone, Copy)]
struct Edit {
    /// The original bytes replaced (empty for an insertion).
    at: Span,
    /// The replacement, a range of the editor's scratch buffer.
    text: Span,
    /// Order among insertions at one offset: where the header section is empty, the
    /// top and the end are the same offset, and a field inserted at the top must still
    /// come before one appended, whatever order they were recorded in.
    rank: Rank,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Top,
    Here,
    End,
}

/// Records edits against a parsed [`Message`] and writes the result in one pass.
///
/// Names and values are checked types ([`FieldName`], [`AsHeaderValue`]): they hold no
/// CR, LF or NUL, so no edit can end a header line early. Content-Length is only written by the editor itself, from
/// the body, so no edit can make it disagree with the body. Edits address the original
/// message (indices into [`Message::headers`], spans of the original buffer); they must
/// not overlap. Insertions at the same place appear in the order they were made, except
/// that [`Editor::insert_top`] fields come first and [`Editor::append`] fields last.
///
/// ```
/// use sip_oauth::message::{Editor, HeaderName, HeaderValue, Message};
///
/// let msg = Message::parse(&b"REGISTER sip:example.com SIP/2.0\r\nMax-Forwards: 70\r\n\
///     Content-Length: 0\r\n\r\n"[..])?;
/// let mut ed = Editor::new(&msg);
/// let via = HeaderValue::try_from("SIP/2.0/TCP edge.example.com;branch=z9hG4bK1")?;
/// ed.insert_top(HeaderName::Via, &via)?;
/// let mf = msg.positions(HeaderName::MaxForwards).next().unwrap();
/// ed.replace_value(mf, HeaderValue::from_static("69"))?;
/// let out = ed.finish()?;
/// assert!(out.starts_with(b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TCP"));
/// assert!(out.windows(16).any(|w| w == b"Max-Forwards: 69"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Editor<'m> {
    msg: &'m Message,
    // Inline room for the edits of one proxy hop.
    edits: SmallVec<[Edit; 24]>,
    // The text of every edit, one after the other; allocated at the first text, with
    // room for what one proxy hop writes, so it grows seldom.
    scratch: String,
    new_body: Option<Vec<u8>>,
    fix_length: bool,
}

/// Room the scratch text gets at its first use: a proxy hop's Via, Path, Annex U
/// Authorization and charging headers together.
const SCRATCH_ROOM: usize = 1024;

/// The largest scratch text kept for the next editor on the thread.
const SPARE_MAX: usize = 16 * 1024;

thread_local! {
    // The scratch text of the last editor on this thread, emptied, kept for the next
    // one: a steady stream of edits then allocates only their outputs.
    static SPARE: Cell<String> = const { Cell::new(String::new()) };
}

impl Drop for Editor<'_> {
    fn drop(&mut self) {
        let cap = self.scratch.capacity();
        if cap > 0 && cap <= SPARE_MAX {
            let mut spare = std::mem::take(&mut self.scratch);
            spare.clear();
            let _ = SPARE.try_with(|s| s.set(spare));
        }
    }
}

impl<'m> Editor<'m> {
    /// Starts editing `msg`.
    pub fn new(msg: &'m Message) -> Editor<'m> {
        Editor {
            msg,
            edits: SmallVec::new(),
            scratch: String::new(),
            new_body: None,
            fix_length: false,
        }
    }

    /// The message being edited.
    pub fn message(&self) -> &'m Message {
        self.msg
    }

    fn push(&mut self, at: Span, parts: &[&str]) {
        self.push_ranked(at, parts, Rank::Here);
    }

    fn room(&mut self) {
        if self.scratch.capacity() == 0 {
            self.scratch = SPARE.try_with(Cell::take).unwrap_or_default();
            self.scratch.reserve(SCRATCH_ROOM);
        }
    }

    fn push_ranked(&mut self, at: Span, parts: &[&str], rank: Rank) {
        let start = self.scratch.len();
        if !parts.is_empty() {
            self.room();
        }
        for p in parts {
            self.scratch.push_str(p);
        }
        self.record(at, start, rank);
    }

    /// Records the edit of `at` whose text is the scratch text from `start` on.
    #[inline]
    fn record(&mut self, at: Span, start: usize, rank: Rank) {
        self.edits.push(Edit {
            at,
            text: Span::new(start, self.scratch.len()),
            rank,
        });
    }

    /// Records an edit whose text `build` writes straight into the scratch text, after
    /// `Name: ` when a field is inserted (and then ends with its CRLF).
    fn push_built(
        &mut self,
        at: Span,
        name: Option<&str>,
        rank: Rank,
        build: impl FnOnce(&mut ValueBuilder),
    ) {
        self.room();
        let start = self.scratch.len();
        let mut text = std::mem::take(&mut self.scratch);
        if let Some(name) = name {
            text.push_str(name);
            text.push_str(": ");
        }
        let mut v = ValueBuilder::after(text);
        build(&mut v);
        self.scratch = v.into_text();
        if name.is_some() {
            self.scratch.push_str("\r\n");
        }
        self.record(at, start, rank);
    }

    fn push_field(
        &mut self,
        at: usize,
        name: impl FieldName,
        value: impl AsHeaderValue,
        rank: Rank,
    ) -> Result<(), WriteError> {
        let name = name.name_str()?;
        self.push_ranked(
            Span::new(at, at),
            &[name, ": ", value.value_str(), "\r\n"],
            rank,
        );
        Ok(())
    }

    fn push_field_with(
        &mut self,
        at: usize,
        name: impl FieldName,
        rank: Rank,
        build: impl FnOnce(&mut ValueBuilder),
    ) -> Result<(), WriteError> {
        let name = name.name_str()?;
        self.push_built(Span::new(at, at), Some(name), rank, build);
        Ok(())
    }

    fn field_span(&self, index: usize) -> Result<super::parse::HeaderField, WriteError> {
        self.msg.header(index).copied().ok_or(WriteError::Invalid {
            what: "header index",
            expected: "index of a header of this message",
        })
    }

    /// Inserts `Name: value` as the first header field.
    pub fn insert_top(
        &mut self,
        name: impl FieldName,
        value: impl AsHeaderValue,
    ) -> Result<(), WriteError> {
        let at = self.msg.start_line_span().end as usize;
        self.push_field(at, name, value, Rank::Top)
    }

    /// Inserts `Name: value` right after the field at `index`.
    pub fn insert_after(
        &mut self,
        index: usize,
        name: impl FieldName,
        value: impl AsHeaderValue,
    ) -> Result<(), WriteError> {
        let at = self.field_span(index)?.line_span.end as usize;
        self.push_field(at, name, value, Rank::Here)
    }

    /// Inserts `Name: value` right before the field at `index`.
    pub fn insert_before(
        &mut self,
        index: usize,
        name: impl FieldName,
        value: impl AsHeaderValue,
    ) -> Result<(), WriteError> {
        let at = self.field_span(index)?.line_span.start as usize;
        self.push_field(at, name, value, Rank::Here)
    }

    /// Appends `Name: value` after the last header field.
    pub fn append(
        &mut self,
        name: impl FieldName,
        value: impl AsHeaderValue,
    ) -> Result<(), WriteError> {
        let at = self.msg.head_end();
        self.push_field(at, name, value, Rank::End)
    }

    /// As [`Editor::insert_top`], with the value written by `build` straight into the
    /// editor's buffer (no value of its own to build and copy).
    ///
    /// ```
    /// use sip_oauth::message::{Editor, HeaderName, HeaderValue, Message};
    ///
    /// let msg = Message::parse(&b"OPTIONS sip:example.com SIP/2.0\r\n\r\n"[..])?;
    /// let mut ed = Editor::new(&msg);
    /// ed.insert_top_with(HeaderName::MaxForwards, |v| {
    ///     v.push_decimal(70u32);
    /// })?;
    /// let out = ed.finish()?;
    /// assert!(out.starts_with(b"OPTIONS sip:example.com SIP/2.0\r\nMax-Forwards: 70\r\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert_top_with(
        &mut self,
        name: impl FieldName,
        build: impl FnOnce(&mut ValueBuilder),
    ) -> Result<(), WriteError> {
        let at = self.msg.start_line_span().end as usize;
        self.push_field_with(at, name, Rank::Top, build)
    }

    /// As [`Editor::insert_before`], with the value written by `build` (see
    /// [`Editor::insert_top_with`]).
    pub fn insert_before_with(
        &mut self,
        index: usize,
        name: impl FieldName,
        build: impl FnOnce(&mut ValueBuilder),
    ) -> Result<(), WriteError> {
        let at = self.field_span(index)?.line_span.start as usize;
        self.push_field_with(at, name, Rank::Here, build)
    }

    /// As [`Editor::append`], with the value written by `build` (see
    /// [`Editor::insert_top_with`]).
    pub fn append_with(
        &mut self,
        name: impl FieldName,
        build: impl FnOnce(&mut ValueBuilder),
    ) -> Result<(), WriteError> {
        let at = self.msg.head_end();
        self.push_field_with(at, name, Rank::End, build)
    }

    /// Removes the whole field at `index`.
    pub fn remove(&mut self, index: usize) -> Result<(), WriteError> {
        let at = self.field_span(index)?.line_span;
        self.push(at, &[]);
        Ok(())
    }

    /// Replaces the value of the field at `index`, keeping its name as written.
    /// Content-Length is not set this way (a value not matching the body would reframe
    /// it): use [`Editor::fix_content_length`] or [`Editor::set_body`].
    pub fn replace_value(
        &mut self,
        index: usize,
        value: impl AsHeaderValue,
    ) -> Result<(), WriteError> {
        let field = self.field_span(index)?;
        if field.name == HeaderName::ContentLength {
            return Err(WriteError::Invalid {
                what: "Content-Length value",
                expected: "the body length (written by fix_content_length)",
            });
        }
        let at = field.value_span;
        self.push(at, &[value.value_str()]);
        Ok(())
    }

    /// Removes one element of a comma-separated list value. `item` is the element's byte
    /// range relative to the start of the field's value (as given by
    /// [`crate::message::header::split_list`]). The separating comma goes with it; when it
    /// is the only element, the whole field is removed. Values holding an escaped NUL
    /// are refused (remove or replace the whole field instead).
    pub fn remove_list_item(
        &mut self,
        index: usize,
        item: std::ops::Range<usize>,
    ) -> Result<(), WriteError> {
        let field = self.field_span(index)?;
        let value = self.msg.slice(field.value_span);
        // An element never starts or ends inside a CRLF or at a fold's whitespace;
        // removing from there would leave a bare CR or LF, or end a fold.
        let in_break = |at: usize| at > 0 && matches!(value[at - 1], b'\r' | b'\n');
        // An escaped NUL stays valid only inside its quoted-string or comment, which a
        // range not taken from the list grammar could cut; such values are edited whole.
        if value.contains(&0) {
            return Err(WriteError::Invalid {
                what: "list item",
                expected: "an element of a value without an escaped NUL",
            });
        }
        if item.start > item.end
            || item.end > value.len()
            || in_break(item.start)
            || in_break(item.end)
        {
            return Err(WriteError::Invalid {
                what: "list item",
                expected: "range inside the header value",
            });
        }
        let is_lws = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        let mut after = item.end;
        while after < value.len() && is_lws(value[after]) {
            after += 1;
        }
        let (from, to) = if value.get(after) == Some(&b',') {
            // Drop the element, its comma, and the space before the next element.
            let mut next = after + 1;
            while next < value.len() && is_lws(value[next]) {
                next += 1;
            }
            (item.start, next)
        } else {
            let mut before = item.start;
            while before > 0 && is_lws(value[before - 1]) {
                before -= 1;
            }
            if before > 0 && value[before - 1] == b',' {
                (before - 1, item.end)
            } else {
                return self.remove(index);
            }
        };
        let base = field.value_span.start as usize;
        self.push(Span::new(base + from, base + to), &[]);
        Ok(())
    }

    /// Inserts raw header-value text at byte `offset` of the original message (for
    /// example a parameter into a Via value). The offset must be in a header field
    /// between its colon and its final CRLF; see [`Editor::replace_span`] for the rest.
    pub fn insert_text(
        &mut self,
        offset: usize,
        text: impl AsHeaderValue,
    ) -> Result<(), WriteError> {
        // Checked before the offset is narrowed into a span, so a large offset cannot
        // wrap around to a small one.
        if offset > self.msg.head_end() {
            return Err(Self::bad_span());
        }
        self.replace_span(Span::new(offset, offset), text)
    }

    /// As [`Editor::insert_text`], with the text written by `build` (see
    /// [`Editor::insert_top_with`]).
    pub fn insert_text_with(
        &mut self,
        offset: usize,
        build: impl FnOnce(&mut ValueBuilder),
    ) -> Result<(), WriteError> {
        if offset > self.msg.head_end() {
            return Err(Self::bad_span());
        }
        self.replace_span_with(Span::new(offset, offset), build)
    }

    /// Replaces the original bytes of `span` with `text`. The span
    /// must lie in one header field between its colon and its final CRLF, hold no line
    /// break, and not touch a Content-Length field (see
    /// [`Editor::fix_content_length`]), nor a field holding an escaped NUL.
    pub fn replace_span(&mut self, span: Span, text: impl AsHeaderValue) -> Result<(), WriteError> {
        self.check_raw_span(span)?;
        self.push(span, &[text.value_str()]);
        Ok(())
    }

    /// As [`Editor::replace_span`], with the text written by `build` (see
    /// [`Editor::insert_top_with`]).
    pub fn replace_span_with(
        &mut self,
        span: Span,
        build: impl FnOnce(&mut ValueBuilder),
    ) -> Result<(), WriteError> {
        self.check_raw_span(span)?;
        self.push_built(span, None, Rank::Here, build);
        Ok(())
    }

    /// Whether raw text may replace `span` (see [`Editor::replace_span`]).
    fn check_raw_span(&self, span: Span) -> Result<(), WriteError> {
        if span.end as usize > self.msg.head_end() || span.start > span.end {
            return Err(Self::bad_span());
        }
        let src = self.msg.as_bytes();
        // Every CR of a parsed header section is followed by LF, so a position right
        // after a CR is inside a CRLF; writing there would leave a bare CR or LF. Right
        // after an LF is the whitespace that makes a fold: writing before or over it
        // would turn the continuation into a header line of its own.
        let splits_crlf = |at: usize| at > 0 && matches!(src[at - 1], b'\r' | b'\n');
        let breaks_line = src[span.range()].iter().any(|&b| b == b'\r' || b == b'\n');
        if breaks_line || splits_crlf(span.start as usize) || splits_crlf(span.end as usize) {
            return Err(Self::bad_span());
        }
        // Raw text goes into one field's value region: after its colon, before its
        // final CRLF. The start line and names have their own checked writers.
        let Some(field) = self
            .msg
            .headers()
            .iter()
            .find(|h| h.line_span.start <= span.start && span.start < h.line_span.end)
        else {
            return Err(Self::bad_span());
        };
        let colon = src[field.name_span.end as usize..field.value_span.start as usize]
            .iter()
            .position(|&b| b == b':')
            .map_or(field.value_span.start as usize, |p| {
                p + field.name_span.end as usize
            });
        // Inside this one line, the span can only touch a Content-Length field if the
        // line is one: field lines never overlap.
        if (span.start as usize) <= colon
            || span.end > field.line_span.end - 2
            || field.name == HeaderName::ContentLength
        {
            return Err(Self::bad_span());
        }
        // A NUL is only valid as the octet of a quoted-pair. In a line holding one, any
        // raw edit (a quote, a backslash, text between a backslash and its NUL) could
        // leave it bare; such values are edited whole.
        if memchr::memchr(0, self.msg.slice(field.line_span)).is_some() {
            return Err(WriteError::Invalid {
                what: "text",
                expected: "a raw edit in a line without an escaped NUL",
            });
        }
        Ok(())
    }

    fn bad_span() -> WriteError {
        WriteError::Invalid {
            what: "span",
            expected: "range inside one header value's line, outside Content-Length",
        }
    }

    /// Replaces the Request-URI of a request.
    pub fn set_request_uri(&mut self, uri: &str) -> Result<(), WriteError> {
        check_request_uri(uri)?;
        match self.msg.start_line() {
            super::parse::StartLine::Request { uri: at, .. } => {
                self.push(at, &[uri]);
                Ok(())
            }
            super::parse::StartLine::Response { .. } => Err(WriteError::Invalid {
                what: "Request-URI",
                expected: "request",
            }),
        }
    }

    /// Replaces the body; Content-Length is fixed to match when the edit is finished.
    pub fn set_body(&mut self, body: &[u8]) {
        self.new_body = Some(body.to_vec());
        self.fix_length = true;
    }

    /// Makes the result carry exactly one correct Content-Length (replacing the first,
    /// removing repeats, adding one when missing).
    pub fn fix_content_length(&mut self) {
        self.fix_length = true;
    }

    fn apply_content_length(&mut self) -> Result<(), WriteError> {
        let body_len = match &self.new_body {
            Some(b) => b.len(),
            None => self.msg.body().len(),
        };
        let decimal = Decimal::new(body_len as u64);
        let text = decimal.as_str();
        let mut fields = self.msg.positions(HeaderName::ContentLength);
        match fields.next() {
            Some(first) => {
                let at = self.field_span(first)?.value_span;
                let rest: Vec<usize> = fields.collect();
                self.push(at, &[text]);
                for i in rest {
                    self.remove(i)?;
                }
            }
            None => {
                let at = self.msg.head_end();
                self.push_ranked(
                    Span::new(at, at),
                    &["Content-Length: ", text, "\r\n"],
                    Rank::End,
                );
            }
        }
        Ok(())
    }

    /// Writes the edited message into one new buffer. Fails when edits overlap, or
    /// when the edit texts and new body together exceed 4 GiB.
    pub fn finish(mut self) -> Result<Bytes, WriteError> {
        if self.fix_length {
            self.apply_content_length()?;
        }
        // Edit texts are addressed with 32-bit spans: past that they would wrap.
        if self.scratch.len() > u32::MAX as usize {
            return Err(WriteError::TooLarge {
                limit: u32::MAX as usize,
            });
        }
        let src = self.msg.as_bytes();
        let body = self.msg.body_span();
        let mut edits = std::mem::take(&mut self.edits);
        // Stable: insertions of one rank at one offset keep the order in which they
        // were made.
        edits.sort_by_key(|e| (e.at.start, e.at.end, e.rank));
        let mut size = src.len();
        let mut cursor = 0usize;
        for e in &edits {
            if (e.at.start as usize) < cursor {
                return Err(WriteError::Invalid {
                    what: "edit",
                    expected: "edits that do not overlap",
                });
            }
            cursor = e.at.end as usize;
            size = size - e.at.len() + e.text.len();
        }
        if let Some(b) = &self.new_body {
            size = size - body.len() + b.len();
        }
        let mut out = Vec::with_capacity(size);
        let mut cursor = 0usize;
        let scratch = self.scratch.as_bytes();
        for e in &edits {
            out.extend_from_slice(&src[cursor..e.at.start as usize]);
            out.extend_from_slice(&scratch[e.text.range()]);
            cursor = e.at.end as usize;
        }
        match &self.new_body {
            Some(b) => {
                out.extend_from_slice(&src[cursor..body.start as usize]);
                out.extend_from_slice(b);
            }
            None => out.extend_from_slice(&src[cursor..]),
        }
        Ok(Bytes::from(out))
    }
}
