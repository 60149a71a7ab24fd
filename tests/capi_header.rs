//! `include/sip_oauth.h` is written by hand; this keeps it in step with `src/capi/`: every
//! exported function is declared with the same number of parameters, the header declares
//! nothing the library does not export, and every `SIP_OAUTH_*` constant has the same value
//! on both sides. A plain text check, so it runs without the `capi` feature.

use std::collections::BTreeMap;

fn read(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn rust_sources() -> String {
    let dir = format!("{}/src/capi", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Top-level commas + 1, or 0 for an empty or `void` list.
fn arity(params: &str) -> usize {
    let p = params.trim();
    if p.is_empty() || p == "void" {
        return 0;
    }
    let mut depth = 0i32;
    let mut n = 1;
    for ch in p.chars() {
        match ch {
            '(' | '<' | '[' => depth += 1,
            ')' | '>' | ']' => depth -= 1,
            ',' if depth == 0 => n += 1,
            _ => {}
        }
    }
    // A trailing comma (rustfmt writes one in long lists) adds no parameter.
    if p.ends_with(',') { n - 1 } else { n }
}

/// The text between the `(` at `open` and its matching `)`.
fn group(text: &str, open: usize) -> &str {
    let mut depth = 0;
    for (i, ch) in text[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses")
}

/// Exported functions of the Rust side: name -> parameter count.
fn rust_functions() -> BTreeMap<String, usize> {
    let src = rust_sources();
    let mut out = BTreeMap::new();
    for (at, _) in src.match_indices("#[unsafe(no_mangle)]") {
        let rest = &src[at..];
        let fn_at = rest
            .find("extern \"C\" fn ")
            .expect("no_mangle on an extern \"C\" fn");
        let name_start = fn_at + "extern \"C\" fn ".len();
        let open = name_start + rest[name_start..].find('(').unwrap();
        let name = rest[name_start..open].trim().to_owned();
        out.insert(name, arity(group(rest, open)));
    }
    out
}

/// Functions declared in the header: name -> parameter count.
fn header_functions(h: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (at, _) in h.match_indices("sip_oauth_") {
        let rest = &h[at..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        // A declaration: the name directly followed by its parameter list, outside comments.
        if !rest[name_len..].starts_with('(') {
            continue;
        }
        let line_start = h[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = h[line_start..at].trim_start();
        if line.starts_with('*') || line.starts_with("/*") || line.contains("//") {
            continue;
        }
        out.insert(rest[..name_len].to_owned(), arity(group(rest, name_len)));
    }
    out
}

#[test]
fn header_declares_every_exported_function_with_its_arity() {
    let rust = rust_functions();
    let header = header_functions(&read("include/sip_oauth.h"));
    assert!(rust.len() >= 10, "found only {rust:?}");
    assert_eq!(rust, header, "left: src/capi, right: include/sip_oauth.h");
}

/// `NAME = digits` pairs of lines starting with `prefix`, in `text`.
fn constants(text: &str, prefix: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(prefix))
        .filter_map(|l| {
            let (name, value) = l.split_once('=')?;
            let name = name.split(':').next()?.trim();
            let digits: String = value
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '-')
                .collect();
            Some((name.to_owned(), digits))
        })
        .collect()
}

#[test]
fn header_constants_match_the_rust_ones() {
    let rust = constants(&rust_sources(), "pub const ");
    let rust: BTreeMap<_, _> = rust
        .into_iter()
        .filter(|(k, _)| k.starts_with("SIP_OAUTH_"))
        .collect();
    let header = constants(&read("include/sip_oauth.h"), "");
    let header: BTreeMap<_, _> = header
        .into_iter()
        .filter(|(k, _)| k.starts_with("SIP_OAUTH_"))
        .collect();
    assert!(rust.len() >= 17, "found only {rust:?}");
    assert_eq!(rust, header, "left: src/capi, right: include/sip_oauth.h");
}

#[test]
fn arity_counts_parameters() {
    assert_eq!(arity("void"), 0);
    assert_eq!(arity(""), 0);
    assert_eq!(arity("const char *s"), 1);
    assert_eq!(arity("a: *mut *mut T, b: Option<fn(u8, u8)>,\n"), 2);
}
