//! The example of README.md is examples/quickstart.rs, which cargo test
//! compiles: the two must not drift apart.

#[test]
fn readme_example_is_the_quickstart_example() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(dir.join("../README.md")).unwrap();
    let example = std::fs::read_to_string(dir.join("examples/quickstart.rs")).unwrap();
    let start = readme.find("```rust\n").expect("a rust block") + "```rust\n".len();
    let end = start + readme[start..].find("```").unwrap();
    assert!(
        example.ends_with(&readme[start..end]),
        "README.md and examples/quickstart.rs differ"
    );
}
