//! Every function, constant and enum value of include/llmcarbon.h has its
//! declaration here, with the same value; and the library behind it is the
//! version these declarations were written from. The header is read from
//! the source tree (skipped when the crate is built outside it).

use std::ffi::CStr;
use std::path::PathBuf;

fn header() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../include/llmcarbon.h");
    std::fs::read_to_string(path).ok()
}

fn bindings() -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap()
}

/// Drops /* */ comments so that names in them do not count.
fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = match rest[i..].find("*/") {
            Some(j) => &rest[i + j + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

#[test]
fn every_llmc_api_function_is_declared() {
    let Some(h) = header() else { return };
    let h = strip_comments(&h);
    let rs = bindings();
    let mut names = Vec::new();
    for decl in h.lines().filter_map(|l| l.strip_prefix("LLMC_API ")) {
        // "const char *llmc_version_string(void);" -> the name before '('
        let head = &decl[..decl.find('(').expect("a declaration")];
        let name = head.rsplit([' ', '*']).next().unwrap();
        names.push(name.to_owned());
    }
    assert!(names.len() >= 73, "found only {} functions", names.len());
    let missing: Vec<_> = names
        .iter()
        .filter(|n| !rs.contains(&format!("pub fn {n}(")))
        .collect();
    assert!(
        missing.is_empty(),
        "not declared in llmcarbon-sys: {missing:?}"
    );
}

#[test]
fn every_integer_constant_is_declared_with_its_value() {
    let Some(h) = header() else { return };
    let h = strip_comments(&h);
    let rs = bindings();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in h.lines() {
        let line = line.trim();
        // "#define LLMC_ENOTFOUND (-6)", "#define LLMC_QUALITY_GAP 0x10",
        // and enum lines "LLMC_DIM_POWER = 1,"
        let (name, value) = if let Some(rest) = line.strip_prefix("#define ") {
            let name = ident_at(rest);
            let value = rest[name.len()..]
                .trim()
                .trim_matches(|c| c == '(' || c == ')');
            (name, value)
        } else if line.starts_with("LLMC_") && line.contains('=') {
            let name = ident_at(line);
            let value = line[line.find('=').unwrap() + 1..]
                .trim()
                .trim_end_matches(',');
            (name, value)
        } else {
            continue;
        };
        let value = if let Some(hex) = value.strip_prefix("0x") {
            i64::from_str_radix(hex, 16).ok()
        } else {
            value.parse::<i64>().ok()
        };
        let Some(value) = value else { continue }; // LLMC_API, LLMCARBON_H, ...
        checked += 1;
        let decl = rs
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("pub const {name}:")));
        match decl {
            None => wrong.push(format!("{name} is missing")),
            Some(l) => {
                let v = l.rsplit('=').next().unwrap().trim().trim_end_matches(';');
                let v = if let Some(hex) = v.strip_prefix("0x") {
                    i64::from_str_radix(hex, 16).ok()
                } else {
                    v.parse::<i64>().ok()
                };
                if v != Some(value) {
                    wrong.push(format!("{name} = {v:?}, the header says {value}"));
                }
            }
        }
    }
    assert!(checked >= 60, "found only {checked} constants");
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn struct_fields_are_in_header_order() {
    let Some(h) = header() else { return };
    let h = strip_comments(&h);
    let rs = bindings();
    for name in [
        "llmc_intensity",
        "llmc_window",
        "llmc_estimate_result",
        "llmc_channel",
        "llmc_totals",
    ] {
        let start = h.find(&format!("typedef struct {name} {{")).unwrap();
        let body = &h[start..start + h[start..].find('}').unwrap()];
        let c_fields: Vec<&str> = body
            .lines()
            .skip(1)
            .filter_map(|l| l.trim().strip_suffix(';'))
            .map(|l| l.rsplit([' ', '*']).next().unwrap())
            .collect();
        let start = rs.find(&format!("pub struct {name} {{")).unwrap();
        let body = &rs[start..start + rs[start..].find('}').unwrap()];
        let rs_fields: Vec<&str> = body
            .lines()
            .skip(1)
            .filter_map(|l| l.trim().strip_prefix("pub "))
            .map(|l| &l[..l.find(':').unwrap()])
            .collect();
        assert_eq!(rs_fields, c_fields, "fields of {name}");
    }
}

#[test]
fn the_library_is_the_version_of_these_declarations() {
    let num = unsafe { llmcarbon_sys::llmc_version_num() };
    let text = unsafe { CStr::from_ptr(llmcarbon_sys::llmc_version_string()) };
    assert_eq!(
        num / 100,
        llmcarbon_sys::LLMC_VERSION_NUM / 100,
        "major.minor"
    );
    assert!(text.to_str().unwrap().starts_with(&format!(
        "{}.{}.",
        llmcarbon_sys::LLMC_VERSION_MAJOR,
        llmcarbon_sys::LLMC_VERSION_MINOR
    )));
}

#[test]
fn status_constants_have_the_names_of_the_library() {
    use llmcarbon_sys::*;
    let all = [
        (LLMC_OK, "LLMC_OK"),
        (LLMC_EINVAL, "LLMC_EINVAL"),
        (LLMC_ENOTFOUND, "LLMC_ENOTFOUND"),
        (LLMC_EAMBIGUOUS, "LLMC_EAMBIGUOUS"),
        (LLMC_EAUTH, "LLMC_EAUTH"),
    ];
    for (code, name) in all {
        let got = unsafe { CStr::from_ptr(llmc_status_name(code)) };
        assert_eq!(got.to_str().unwrap(), name);
    }
}
