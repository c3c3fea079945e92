//! A linear pre-scan that bounds the markup an applet hands `page.html()` before ammonia's parser,
//! html5ever, ever sees it. html5ever is linear in most of its input, but not in the shape of the
//! tree: most tags make it walk the stack of open elements (scope checks, implied end tags), so a
//! run of unclosed tags costs O(depth) per tag and O(depth²) in all (`'<div>' * 50000`, 250 KB,
//! took 12 s on the host thread; `'<ul>' * 250000` took 709 s); each formatting tag walks the list
//! of active formatting elements, which misnested `<b>`/`<i>` keep long; and each attribute is
//! checked against every earlier one on its tag, as each `<html>` and `<body>` tag's are against
//! everything those elements already carry. None of that can be interrupted once it starts, so the
//! markup is refused up front when it nests deeper than [`MAX_DEPTH`], has more than [`MAX_TAGS`]
//! start or end tags, or more than [`MAX_ATTRIBUTES`] attributes on a tag.
//!
//! The scan tokenizes as html5ever does (tags with quoted and unquoted attribute values,
//! comments, bogus comments, `<!DOCTYPE>`, `<?...>`) and keeps a stack of the tags it saw open.
//! It must never count less than the parser nests, so wherever it cannot know what the parser
//! does, it counts more: an end tag closes only the element on top of its stack (or that element
//! under a run of elements the end tag closes implicitly, for end tags that html5ever treats that
//! way); a self-closing `/` exempts nothing, since HTML ignores it on elements that are not
//! void; void elements stop being exempt once an `<svg>` or `<math>` was seen, since in foreign
//! content `<input>` or `<link>` can nest; and no comment, bogus comment or tag it skips over may
//! run past a `</script`, `</style`, `</textarea`... that could end a raw-text element, since
//! whatever follows that end the parser reads as markup again. It may overcount (markup that
//! leaves hundreds of elements unclosed is refused), never undercount in a way that lets deep
//! nesting through; the tag bound caps the parser's work even where the count is off.

/// How deep `page.html()` markup may nest elements. The parser's stack walks cost O(depth) per
/// tag: with 256 levels (which the parser may double with the `tbody`s and `tr`s tables imply and
/// the formatting elements it reopens) and [`MAX_TAGS`] tags that stays in the low millions of
/// steps. Real fragments nest a few dozen levels at most.
pub(crate) const MAX_DEPTH: usize = 256;
/// How many start tags, and how many end tags, one call's markup may have: the parser's
/// per-tag work is only linear in the depth, the active formatting elements or the siblings
/// (foster parenting), so the number of tags bounds the whole.
pub(crate) const MAX_TAGS: usize = 20_000;
/// How many attributes one tag may have, and all `<html>` and `<body>` tags together (the parser
/// merges theirs into one element, checking each against all it has).
pub(crate) const MAX_ATTRIBUTES: usize = 256;

/// Elements that never hold content in HTML: they open nothing (outside foreign content).
const VOID: &[&[u8]] = &[
    b"area",
    b"base",
    b"basefont",
    b"bgsound",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"image",
    b"img",
    b"input",
    b"keygen",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
];
/// Elements whose content the tokenizer may read as text up to `</name`: no skip crosses that.
const RAW_TEXT: &[&[u8]] = &[b"script", b"style", b"textarea", b"title", b"xmp", b"iframe", b"noembed", b"noframes", b"noscript"];
/// Start tags before which html5ever closes an open `<p>` (`close_p_element_in_button_scope`).
const CLOSES_P: &[&[u8]] = &[
    b"address",
    b"article",
    b"aside",
    b"blockquote",
    b"center",
    b"details",
    b"dialog",
    b"dir",
    b"div",
    b"dl",
    b"fieldset",
    b"figcaption",
    b"figure",
    b"footer",
    b"header",
    b"hgroup",
    b"main",
    b"menu",
    b"nav",
    b"ol",
    b"p",
    b"search",
    b"section",
    b"summary",
    b"ul",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"pre",
    b"listing",
    b"li",
    b"dd",
    b"dt",
];
const HEADINGS: &[&[u8]] = &[b"h1", b"h2", b"h3", b"h4", b"h5", b"h6"];
/// Elements html5ever closes implicitly ("generate implied end tags").
const IMPLIED_END: &[&[u8]] = &[b"dd", b"dt", b"li", b"option", b"optgroup", b"p", b"rb", b"rp", b"rt", b"rtc"];
/// End tags for which html5ever, finding the element in scope, closes the implied-end elements
/// above it and then it. For any other end tag only the element on top counts as closed: for
/// `</span>` above an `<li>`, say, html5ever closes nothing.
const CLOSES_IMPLIED: &[&[u8]] = &[
    b"address",
    b"article",
    b"aside",
    b"blockquote",
    b"button",
    b"center",
    b"details",
    b"dialog",
    b"dir",
    b"div",
    b"dl",
    b"fieldset",
    b"figcaption",
    b"figure",
    b"footer",
    b"header",
    b"hgroup",
    b"listing",
    b"main",
    b"menu",
    b"nav",
    b"ol",
    b"pre",
    b"search",
    b"section",
    b"summary",
    b"ul",
    b"p",
    b"li",
    b"dd",
    b"dt",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
];

/// Refuses markup whose parsing would cost more than linear time; the error says why.
pub(crate) fn check(markup: &str) -> Result<(), String> {
    Scan::new(markup.as_bytes()).run()
}

struct Scan<'a> {
    bytes: &'a [u8],
    /// Where a `</script`, `</style`... that could end a raw-text element starts, in order.
    raw_text_ends: Vec<usize>,
    /// The first of `raw_text_ends` not yet behind the scan.
    next_end: usize,
    /// The names of the elements the scan holds open, innermost last.
    open: Vec<&'a [u8]>,
    start_tags: usize,
    end_tags: usize,
    /// The attributes of all `<html>` and `<body>` start tags.
    root_attributes: usize,
    /// An `<svg>` or `<math>` was seen: void elements may nest from there on.
    foreign: bool,
}

/// A start or end tag: its name as written, how many attributes it has, and where the scan goes
/// on (past its `>`, or where it was cut short).
struct Tag<'a> {
    name: &'a [u8],
    attributes: usize,
    end: usize,
}

impl<'a> Scan<'a> {
    fn new(bytes: &'a [u8]) -> Scan<'a> {
        Scan {
            bytes,
            raw_text_ends: raw_text_ends(bytes),
            next_end: 0,
            open: Vec::new(),
            start_tags: 0,
            end_tags: 0,
            root_attributes: 0,
            foreign: false,
        }
    }

    fn run(mut self) -> Result<(), String> {
        let bytes = self.bytes;
        let mut at = 0;
        while let Some(offset) = bytes.get(at..).unwrap_or_default().iter().position(|&b| b == b'<') {
            let lt = at + offset;
            let limit = self.limit_after(lt);
            let next = bytes.get(lt + 1).copied();
            let after = bytes.get(lt + 2).copied();
            at = match (next, after) {
                (Some(c), _) if c.is_ascii_alphabetic() => {
                    let tag = read_tag(bytes, lt + 1, limit);
                    self.start(&tag)?;
                    tag.end
                }
                (Some(b'/'), Some(c)) if c.is_ascii_alphabetic() => {
                    let tag = read_tag(bytes, lt + 2, limit);
                    self.end(&tag)?;
                    tag.end
                }
                // `</>` is dropped.
                (Some(b'/'), Some(b'>')) => lt + 3,
                (Some(b'!'), Some(b'-')) if bytes.get(lt + 3) == Some(&b'-') => comment_end(bytes, lt + 4, limit),
                // A doctype, a bogus comment (`<!x`, `</ x`, `<?x`) or CDATA: the first `>` ends
                // them all, or comes before the `]]>` of CDATA in foreign content.
                (Some(b'!' | b'/' | b'?'), _) => past_gt(bytes, lt + 2, limit),
                // `<` and anything else is text.
                _ => lt + 1,
            };
            // Always forward, never past the end, whatever a reader above returned.
            at = at.clamp(lt + 1, bytes.len());
        }
        Ok(())
    }

    /// Where a skip that starts at the `<` at `lt` must stop: the next possible raw-text end.
    fn limit_after(&mut self, lt: usize) -> usize {
        while self.raw_text_ends.get(self.next_end).is_some_and(|&end| end <= lt) {
            self.next_end += 1;
        }
        self.raw_text_ends.get(self.next_end).copied().unwrap_or(self.bytes.len())
    }

    fn start(&mut self, tag: &Tag<'a>) -> Result<(), String> {
        self.start_tags += 1;
        if self.start_tags > MAX_TAGS {
            return Err(format!("the markup has more than {MAX_TAGS} start tags"));
        }
        self.attributes(tag)?;
        let name = tag.name;
        if is(name, &[b"html", b"body"]) {
            self.root_attributes += tag.attributes;
            if self.root_attributes > MAX_ATTRIBUTES {
                return Err(format!("the markup's <html> and <body> tags have more than {MAX_ATTRIBUTES} attributes"));
            }
        }
        if is(name, &[b"svg", b"math"]) {
            self.foreign = true;
        }
        if !self.foreign {
            if is(name, VOID) {
                return Ok(());
            }
            self.close_implied_by_start(name);
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(format!("the markup nests elements deeper than {MAX_DEPTH} levels"));
        }
        self.open.push(name);
        Ok(())
    }

    /// What html5ever's in-body rules close before opening `name`, where the elements on top of
    /// the scan's stack say it must: a `<p>` before a block, an `<li>` before an `<li>`, a cell
    /// before a cell... (Not in foreign content, where `<td>` and `<option>` nest.)
    fn close_implied_by_start(&mut self, name: &[u8]) {
        if is(name, CLOSES_P) && self.top_is(&[b"p"]) {
            self.open.pop();
        }
        let closes: &[&[u8]] = if is(name, &[b"li"]) {
            &[b"li"]
        } else if is(name, &[b"dd", b"dt"]) {
            &[b"dd", b"dt"]
        } else if is(name, &[b"option", b"optgroup"]) {
            &[b"option"]
        } else if is(name, &[b"td", b"th", b"tr"]) {
            &[b"td", b"th"]
        } else if is(name, HEADINGS) {
            HEADINGS
        } else {
            &[]
        };
        if self.top_is(closes) {
            self.open.pop();
        }
        // A row closes the open cell (above) and then the open row.
        if is(name, &[b"tr"]) && self.top_is(&[b"tr"]) {
            self.open.pop();
        }
    }

    fn end(&mut self, tag: &Tag<'a>) -> Result<(), String> {
        self.end_tags += 1;
        if self.end_tags > MAX_TAGS {
            return Err(format!("the markup has more than {MAX_TAGS} end tags"));
        }
        self.attributes(tag)?;
        let implied = !self.foreign && is(tag.name, CLOSES_IMPLIED);
        let mut index = self.open.len();
        while let Some(node) = index.checked_sub(1).map(|i| self.open[i]) {
            if node.eq_ignore_ascii_case(tag.name) {
                self.open.truncate(index - 1);
                return Ok(());
            }
            if !implied || !is(node, IMPLIED_END) {
                break;
            }
            index -= 1;
        }
        Ok(())
    }

    fn attributes(&self, tag: &Tag<'a>) -> Result<(), String> {
        if tag.attributes > MAX_ATTRIBUTES {
            return Err(format!("a tag in the markup has more than {MAX_ATTRIBUTES} attributes"));
        }
        Ok(())
    }

    fn top_is(&self, names: &[&[u8]]) -> bool {
        self.open.last().is_some_and(|top| is(top, names))
    }
}

/// Whether `name` is one of `names`, ignoring ASCII case as HTML does.
fn is(name: &[u8], names: &[&[u8]]) -> bool {
    names.iter().any(|n| name.eq_ignore_ascii_case(n))
}

fn is_space(c: u8) -> bool {
    // The tokenizer sees `\r` as `\n`.
    matches!(c, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// Where each `</name` that could end a raw-text element starts: `name` one of [`RAW_TEXT`] in
/// any case, followed by whitespace, `/`, `>` or the end.
fn raw_text_ends(bytes: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 0;
    while let Some(offset) = bytes.get(at..).unwrap_or_default().windows(2).position(|w| w[0] == b'<' && w[1] == b'/') {
        let lt = at + offset;
        let rest = bytes.get(lt + 2..).unwrap_or_default();
        let ends_here = RAW_TEXT.iter().any(|name| {
            rest.len() >= name.len()
                && rest[..name.len()].eq_ignore_ascii_case(name)
                && rest.get(name.len()).is_none_or(|&c| is_space(c) || c == b'/' || c == b'>')
        });
        if ends_here {
            ends.push(lt);
        }
        at = lt + 2;
    }
    ends
}

/// Reads a tag whose name starts at `from`, as html5ever's tokenizer does, stopping at its `>`
/// or at `limit`. Quotes open a value only right after `=`: in a name or an unquoted value they
/// are plain characters, so they never hide a `>`.
fn read_tag(bytes: &[u8], from: usize, limit: usize) -> Tag<'_> {
    #[derive(Clone, Copy)]
    enum State {
        Name,
        BeforeAttributeName,
        AttributeName,
        AfterAttributeName,
        BeforeValue,
        Quoted(u8),
        Unquoted,
        AfterQuoted,
        SelfClosing,
    }
    let mut state = State::Name;
    let mut name: Option<&[u8]> = None;
    let mut attributes = 0;
    let mut at = from;
    while at < limit {
        let Some(&c) = bytes.get(at) else { break };
        let space = is_space(c);
        match state {
            State::Name if space || c == b'/' || c == b'>' => {
                name = Some(bytes.get(from..at).unwrap_or_default());
                match c {
                    b'/' => state = State::SelfClosing,
                    b'>' => return Tag { name: bytes.get(from..at).unwrap_or_default(), attributes, end: at + 1 },
                    _ => state = State::BeforeAttributeName,
                }
            }
            State::Name => {}
            State::BeforeAttributeName | State::AfterAttributeName if space => {}
            State::AttributeName if space => state = State::AfterAttributeName,
            State::BeforeAttributeName | State::AttributeName | State::AfterAttributeName if c == b'/' => {
                state = State::SelfClosing
            }
            State::BeforeAttributeName | State::AttributeName | State::AfterAttributeName if c == b'>' => {
                return Tag { name: name.unwrap_or_default(), attributes, end: at + 1 };
            }
            State::AttributeName | State::AfterAttributeName if c == b'=' => state = State::BeforeValue,
            State::AttributeName => {}
            // Anything else (a leading `=` too) starts an attribute name.
            State::BeforeAttributeName | State::AfterAttributeName => {
                attributes += 1;
                state = State::AttributeName;
            }
            State::BeforeValue if space => {}
            State::BeforeValue if c == b'"' || c == b'\'' => state = State::Quoted(c),
            State::BeforeValue if c == b'>' => return Tag { name: name.unwrap_or_default(), attributes, end: at + 1 },
            State::BeforeValue => state = State::Unquoted,
            State::Quoted(quote) if c == quote => state = State::AfterQuoted,
            State::Quoted(_) => {}
            State::Unquoted if space => state = State::BeforeAttributeName,
            State::Unquoted if c == b'>' => return Tag { name: name.unwrap_or_default(), attributes, end: at + 1 },
            State::Unquoted => {}
            State::AfterQuoted if space => state = State::BeforeAttributeName,
            State::AfterQuoted if c == b'/' => state = State::SelfClosing,
            State::AfterQuoted | State::SelfClosing if c == b'>' => {
                return Tag { name: name.unwrap_or_default(), attributes, end: at + 1 };
            }
            // Reconsumed as the start of the next attribute.
            State::AfterQuoted | State::SelfClosing => {
                state = State::BeforeAttributeName;
                continue;
            }
        }
        at += 1;
    }
    Tag { name: name.unwrap_or(bytes.get(from..at).unwrap_or_default()), attributes, end: at }
}

/// Where a comment whose text starts at `from` ends: `<!-->` and `<!--->` end at once, any other
/// at the first `-->` or `--!>`; or at `limit`.
fn comment_end(bytes: &[u8], from: usize, limit: usize) -> usize {
    let text = bytes.get(from..limit).unwrap_or_default();
    if text.starts_with(b">") {
        return from + 1;
    }
    if text.starts_with(b"->") {
        return from + 2;
    }
    let mut at = 0;
    while at + 2 < text.len() {
        if text[at] == b'-' && text[at + 1] == b'-' {
            match (text[at + 2], text.get(at + 3)) {
                (b'>', _) => return from + at + 3,
                (b'!', Some(b'>')) => return from + at + 4,
                _ => {}
            }
        }
        at += 1;
    }
    limit
}

/// Just past the first `>` at or after `from`, or `limit`.
fn past_gt(bytes: &[u8], from: usize, limit: usize) -> usize {
    let text = bytes.get(from..limit).unwrap_or_default();
    text.iter().position(|&b| b == b'>').map_or(limit, |gt| from + gt + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(markup: &str) -> String {
        check(markup).expect_err("the markup should be refused")
    }

    #[test]
    fn deep_nesting_is_refused() {
        assert!(refused(&"<div>".repeat(50_000)).contains("deeper than 256"));
        assert!(refused(&"<ul>".repeat(MAX_DEPTH + 1)).contains("deeper than"));
        assert!(check(&"<ul>".repeat(MAX_DEPTH)).is_ok());
        assert!(refused(&"<DIV><Span>".repeat(200)).contains("deeper than"));
        // Unclosed formatting elements, and end tags that close nothing in the parser.
        assert!(refused(&"<b><i>".repeat(200)).contains("deeper than"));
        assert!(refused(&"<b></i>".repeat(300)).contains("deeper than"));
        assert!(refused(&"<span><li></span>".repeat(200)).contains("deeper than"));
    }

    #[test]
    fn many_siblings_are_allowed() {
        assert_eq!(check(&"<div>x</div>".repeat(10_000)), Ok(()));
        assert_eq!(check(&"<p><b>bold</b> and <i>it</i></p>\n".repeat(3_000)), Ok(()));
        assert_eq!(check(&"<table><tr><td>1</td><td>2</td></tr></table>".repeat(3_000)), Ok(()));
        assert_eq!(check(&format!("<div>{}</div>", "<div><span>x</span></div>".repeat(5_000))), Ok(()));
        assert_eq!(check(&"x < y && y > z ".repeat(10_000)), Ok(()));
    }

    #[test]
    fn implied_end_tags_close_what_the_parser_closes() {
        assert_eq!(check(&"<p>para".repeat(5_000)), Ok(()));
        assert_eq!(check(&"<ul><li>a<li>b</ul>".repeat(2_000)), Ok(()));
        assert_eq!(check(&"<dl><dt>t<dd>d<dt>u<dd>e</dl>".repeat(1_000)), Ok(()));
        assert_eq!(check(&format!("<table>{}</table>", "<tr><td>1<td>2".repeat(2_000))), Ok(()));
        assert_eq!(check(&format!("<select>{}</select>", "<option>x".repeat(5_000))), Ok(()));
        assert_eq!(check(&"<p>text<div>block</div>".repeat(2_000)), Ok(()));
    }

    #[test]
    fn void_elements_and_self_closing_do_not_nest() {
        assert_eq!(check(&"<br><img src=x.png><hr><input name=a><wbr><meta charset=utf-8>".repeat(2_000)), Ok(()));
        assert_eq!(check(&"<br/><img src=\"x.png\" /><input type=checkbox/>".repeat(2_000)), Ok(()));
        assert_eq!(check(&"<div/>x</div>".repeat(2_000)), Ok(()), "a closed <div/> is one element");
        // HTML ignores the `/` on an element that is not void: `<div/>` opens a div.
        assert!(refused(&"<div/>".repeat(300)).contains("deeper than"));
        // In SVG or MathML, `<input>` and its kind nest.
        assert!(refused(&format!("<svg>{}", "<input><link>".repeat(200))).contains("deeper than"));
    }

    #[test]
    fn comments_and_declarations_are_skipped() {
        assert_eq!(check(&format!("<!-- {} -->", "<div>".repeat(5_000))), Ok(()));
        assert_eq!(check(&format!("<!DOCTYPE html><!-- a -- b --!>{}<?php x ?>", "<!x<div><? <div><div>")), Ok(()));
        assert_eq!(check(&"<!-- <div><div><div> -->".repeat(1_000)), Ok(()));
        // Empty comments end at once: what follows is markup.
        assert!(refused(&format!("<!-->{}-->", "<div>".repeat(300))).contains("deeper than"));
        assert!(refused(&format!("<!--->{}-->", "<div>".repeat(300))).contains("deeper than"));
        // A bogus comment ends at the first `>`.
        assert!(refused(&format!("<![CDATA[x>{}]]>", "<div>".repeat(300))).contains("deeper than"));
    }

    #[test]
    fn quoted_attribute_values_may_hold_angle_brackets() {
        assert_eq!(check(&r#"<a title="x>y<div>" href='<div>'>t</a><span data-x="</span>">s</span>"#.repeat(2_000)), Ok(()));
        assert_eq!(check(&r#"<div title = ">>>" class='a"b'>x</div>"#.repeat(2_000)), Ok(()));
        // A quote opens a value only right after `=`: elsewhere it hides nothing.
        assert!(refused(&r#"<div a"b>"#.repeat(300)).contains("deeper than"));
        assert!(refused(&r#"<div =">"<div>">"#.repeat(200)).contains("deeper than"));
        assert!(refused(&r#"<div a=b"c>"#.repeat(300)).contains("deeper than"));
    }

    #[test]
    fn no_skip_runs_past_a_raw_text_end() {
        // The comment inside <style> is text: the parser reads the divs after </style>.
        assert!(refused(&format!("<style><!--</style>{}-->", "<div>".repeat(300))).contains("deeper than"));
        assert!(
            refused(&format!("<script><!--<script></script><!--</script>{}-->", "<div>".repeat(300))).contains("deeper than")
        );
        assert!(refused(&format!("<textarea><p title='</TEXTAREA>{}'>", "<div>".repeat(300))).contains("deeper than"));
        // A tag cut short at such an end still counts.
        assert!(refused(&r#"<div title="</script>">"#.repeat(300)).contains("deeper than"));
    }

    #[test]
    fn tags_and_attributes_are_bounded() {
        assert!(refused(&"<b></b>".repeat(MAX_TAGS + 1)).contains("start tags"));
        assert!(refused(&"</b>".repeat(MAX_TAGS + 1)).contains("end tags"));
        assert_eq!(check(&"<b>x</b>".repeat(MAX_TAGS)), Ok(()));
        let many: String = (0..=MAX_ATTRIBUTES).map(|i| format!(" a{i}")).collect();
        assert!(refused(&format!("<div{many}>")).contains("attributes"));
        let html: String = (0..=MAX_ATTRIBUTES).map(|i| format!("<html a{i}>")).collect();
        assert!(refused(&html).contains("<html> and <body>"));
    }
}
